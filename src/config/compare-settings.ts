import { MEASURED_STAGES, type Stage } from "../runstate/keys";
import { ConfigError, type Env, fail, readString } from "./env";

export const COMPARED_PERCENTILES = ["p50", "p90", "p95", "p99"] as const;
export type ComparedPercentile = (typeof COMPARED_PERCENTILES)[number];

// "10%": the candidate may be at most 10% above (latency) or below (throughput)
// the base; "25ms": at most 25 ms above (latency only).
export interface ChangeLimit {
  variable: string;
  text: string;
  kind: "relative" | "absolute";
  // A ratio (0.1 for 10%) or milliseconds.
  value: number;
}

export interface LatencyRegressionLimit extends ChangeLimit {
  percentile: ComparedPercentile;
}

export interface CompareSettings {
  base: string;
  candidate: string;
  // Stages the latency limits apply to.
  stages: Stage[];
  latencyLimits: LatencyRegressionLimit[];
  maxThroughputDrop: ChangeLimit | null;
  maxMissingIncrease: number | null;
  compareHtml: string | null;
}

export const regressionVariable = (p: ComparedPercentile): string => `MAX_${p.toUpperCase()}_REGRESSION`;

function readChange(env: Env, name: string, units: "both" | "percent"): ChangeLimit | null {
  const text = readString(env, name, "");
  if (text === "") return null;
  const m = /^(\d+(?:\.\d+)?)(%|ms)$/.exec(text);
  if (m === null || (units === "percent" && m[2] !== "%"))
    fail(name, text, units === "both" ? "a percentage like 10% or milliseconds like 25ms" : "a percentage like 5%");
  const n = Number(m[1]);
  return m[2] === "%"
    ? { variable: name, text, kind: "relative", value: n / 100 }
    : { variable: name, text, kind: "absolute", value: n };
}

function readFile(env: Env, name: string, what: string): string {
  const v = readString(env, name, "");
  if (v === "") throw new ConfigError(`${name} is required: expected the path of ${what}`);
  return v;
}

// Limits apply to the stages time is spent in, not to the receiver's hold (a setting of the run).
function readStages(env: Env): Stage[] {
  const text = readString(env, "COMPARE_STAGES", MEASURED_STAGES.join(","));
  const stages = text.split(",").map((s) => s.trim());
  if (stages.length === 0 || stages.some((s) => !(MEASURED_STAGES as readonly string[]).includes(s)))
    fail("COMPARE_STAGES", text, `a comma-separated list of ${MEASURED_STAGES.join(", ")}`);
  return stages as Stage[];
}

export function readCompareSettings(env: Env): CompareSettings {
  const latencyLimits: LatencyRegressionLimit[] = [];
  for (const percentile of COMPARED_PERCENTILES) {
    const limit = readChange(env, regressionVariable(percentile), "both");
    if (limit !== null) latencyLimits.push({ ...limit, percentile });
  }
  const missing = readString(env, "MAX_MISSING_INCREASE", "");
  if (missing !== "" && !/^\d{1,9}$/.test(missing))
    fail("MAX_MISSING_INCREASE", missing, "a whole number of deliveries (0 or more)");
  const html = readString(env, "COMPARE_HTML", "");
  return {
    base: readFile(env, "BASE", "the base run's verify JSON (SUMMARY_JSON)"),
    candidate: readFile(env, "CANDIDATE", "the candidate run's verify JSON (SUMMARY_JSON)"),
    stages: readStages(env),
    latencyLimits,
    maxThroughputDrop: readChange(env, "MAX_THROUGHPUT_DROP", "percent"),
    maxMissingIncrease: missing === "" ? null : Number(missing),
    compareHtml: html === "" ? null : html,
  };
}
