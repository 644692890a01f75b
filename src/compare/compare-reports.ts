import {
  type ChangeLimit,
  COMPARED_PERCENTILES,
  type ComparedPercentile,
  type CompareSettings,
  type LatencyRegressionLimit,
} from "../config/compare-settings";
import { STAGES, type Stage } from "../runstate/keys";
import type { StageLatency } from "../verify/latency";
import { absentStages } from "../verify/parse-verify-report";
import type { VerifyReport } from "../verify/report";
import type { Check } from "../verify/verdict";
import { verdictHeadline } from "../verify/verdict-headline";

// A compare limit checked: it passes or it is crossed (no outcome of its own).
export type LimitCheck = Pick<Check, "name" | "ok" | "detail">;

// One figure in both runs: candidate - base, and relative to the base (null
// when either side has none, or the base is 0).
export interface Change {
  base: number | null;
  candidate: number | null;
  delta: number | null;
  relative: number | null;
}

export function change(base: number | null, candidate: number | null): Change {
  const delta = base === null || candidate === null ? null : candidate - base;
  return { base, candidate, delta, relative: delta === null || base === 0 ? null : delta / (base as number) };
}

export const LEDGER_FIGURES = [
  "accepted",
  "delivered",
  "missing",
  "missingAfterFault",
  "inFlight",
  "duplicates",
  "unknown",
  "deliveredUnacknowledged",
] as const;
export type LedgerFigure = (typeof LEDGER_FIGURES)[number];

const LATENCY_FIELDS = { p50: "p50Ms", p90: "p90Ms", p95: "p95Ms", p99: "p99Ms" } as const satisfies Record<
  ComparedPercentile,
  keyof StageLatency
>;

export interface RunSummary {
  testId: string;
  verdict: string;
  load: string;
  startedAtMs: number;
}

export type StageChange = { samples: Change; max: Change } & Record<ComparedPercentile, Change>;

// A stage an older verify did not report (generator_lag) cannot be compared.
function skippedStages(base: VerifyReport, candidate: VerifyReport): Comparison["skippedStages"] {
  const out: Comparison["skippedStages"] = [];
  const [notInBase, notInCandidate] = [absentStages(base), absentStages(candidate)];
  for (const stage of STAGES) {
    const inBase = !notInBase.includes(stage);
    const inCandidate = !notInCandidate.includes(stage);
    if (inBase && inCandidate) continue;
    out.push({ stage, absentIn: inBase ? "candidate" : inCandidate ? "base" : "both" });
  }
  return out;
}

export interface Comparison {
  base: RunSummary;
  candidate: RunSummary;
  throughput: { published: Change; delivered: Change; peakDelivered: Change };
  // The stages both reports have; skippedStages names the others and which report lacks them.
  latency: Partial<Record<Stage, StageChange>>;
  skippedStages: Array<{ stage: Stage; absentIn: "base" | "candidate" | "both" }>;
  // deliveredPercent: delivered / accepted, in percent.
  ledger: Record<LedgerFigure, Change> & { deliveredPercent: Change };
  // One per limit set (and stage it applies to); empty when no limit was set.
  checks: LimitCheck[];
  regressed: boolean;
}

function summary(r: VerifyReport): RunSummary {
  const s = r.run.settings;
  const profile = s.PROFILE === undefined ? "" : `${s.PROFILE} ${s.RATE}/s for ${s.DURATION}, `;
  return {
    testId: r.testId,
    verdict: verdictHeadline(r).text,
    load: `${profile}${r.run.profiles.map((p) => `${p.tenants}x${p.destinationsPerTenant}`).join(" + ")} destinations`,
    startedAtMs: r.run.startedAtMs,
  };
}

const ms = (v: number | null): string => (v === null ? "-" : `${v.toFixed(1)} ms`);
export const signedPercent = (ratio: number | null): string =>
  ratio === null ? "n/a" : `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(1)}%`;
const limitText = (l: ChangeLimit, sign: string): string => `${sign}${l.text} (${l.variable})`;

function latencyCheck(stage: Stage, limit: LatencyRegressionLimit, c: Change): LimitCheck {
  const name = `${stage} ${limit.percentile}`;
  const limitPart = `limit ${limitText(limit, "+")}`;
  if (c.base === null || c.candidate === null) {
    const side = c.base === null ? "base" : "candidate";
    return { name, ok: false, detail: `${name}: no samples in the ${side}, cannot compare; ${limitPart}` };
  }
  const ok =
    limit.kind === "absolute"
      ? (c.delta as number) <= limit.value
      : c.base === 0
        ? c.candidate === 0
        : (c.relative as number) <= limit.value;
  const rel = c.base === 0 ? "" : ` (${signedPercent(c.relative)})`;
  return { name, ok, detail: `${name} ${ms(c.base)} -> ${ms(c.candidate)}${rel}, ${limitPart}` };
}

function throughputCheck(limit: ChangeLimit, c: Change): LimitCheck {
  const name = "delivered/s";
  const limitPart = `limit -${limit.text} (${limit.variable})`;
  if (c.base === null || c.candidate === null || c.base === 0)
    return {
      name,
      ok: c.base === null && c.candidate === null,
      detail: `${name}: no deliveries in one run; ${limitPart}`,
    };
  const drop = -(c.relative as number);
  return {
    name,
    ok: drop <= limit.value,
    detail: `${name} ${c.base.toFixed(1)} -> ${c.candidate.toFixed(1)} (${signedPercent(c.relative)}), ${limitPart}`,
  };
}

// Pure: the candidate against the base, figure by figure, and the limits you
// set, on the stages both reports have (a report read from a file may lack one).
export function compareReports(settings: CompareSettings, base: VerifyReport, candidate: VerifyReport): Comparison {
  const skipped = skippedStages(base, candidate);
  const latency: Comparison["latency"] = {};
  for (const stage of STAGES) {
    if (skipped.some((s) => s.stage === stage)) continue;
    const b = base.latency.stages[stage];
    const c = candidate.latency.stages[stage];
    const row = { samples: change(b.count, c.count), max: change(b.maxMs, c.maxMs) } as StageChange;
    for (const p of COMPARED_PERCENTILES) row[p] = change(b[LATENCY_FIELDS[p]], c[LATENCY_FIELDS[p]]);
    latency[stage] = row;
  }
  const ledger = {} as Comparison["ledger"];
  for (const f of LEDGER_FIGURES) ledger[f] = change(base.ledger.totals[f], candidate.ledger.totals[f]);
  const percent = (r: VerifyReport): number | null =>
    r.ledger.deliveredRatio === null ? null : r.ledger.deliveredRatio * 100;
  ledger.deliveredPercent = change(percent(base), percent(candidate));
  const rate = (r: VerifyReport, pick: "published" | "delivered"): number | null =>
    r.throughput[pick]?.perSecond ?? null;
  const throughput = {
    published: change(rate(base, "published"), rate(candidate, "published")),
    delivered: change(rate(base, "delivered"), rate(candidate, "delivered")),
    peakDelivered: change(
      base.throughput.delivered?.peakPerSecond ?? null,
      candidate.throughput.delivered?.peakPerSecond ?? null,
    ),
  };

  const checks: LimitCheck[] = [];
  for (const limit of settings.latencyLimits) {
    for (const stage of settings.stages) {
      const compared = latency[stage];
      if (compared === undefined) continue;
      const c = compared[limit.percentile];
      // A stage neither run measured (e.g. queue without Outpost's timestamp-ms) has nothing to compare.
      if (c.base === null && c.candidate === null) continue;
      checks.push(latencyCheck(stage, limit, c));
    }
  }
  if (settings.maxThroughputDrop !== null)
    checks.push(throughputCheck(settings.maxThroughputDrop, throughput.delivered));
  if (settings.maxMissingIncrease !== null) {
    const more = (ledger.missing.delta as number) ?? 0;
    checks.push({
      name: "missing",
      ok: more <= settings.maxMissingIncrease,
      detail: `missing ${ledger.missing.base} -> ${ledger.missing.candidate} (${more >= 0 ? "+" : ""}${more}), limit +${settings.maxMissingIncrease} (MAX_MISSING_INCREASE)`,
    });
  }
  return {
    base: summary(base),
    candidate: summary(candidate),
    throughput,
    latency,
    skippedStages: skipped,
    ledger,
    checks,
    regressed: checks.some((c) => !c.ok),
  };
}
