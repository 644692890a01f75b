import { ConfigError, type Env, fail, formatDuration, readDurationMs, readInt, readNumber, readString } from "./env";
import { readPrometheusUrl } from "./report-settings";
import { latencyLimitVariable } from "./verify-settings";

export const SLO_VARIABLE = latencyLimitVariable("e2e", "p99");
// Enough for a search from 10/s to 1,000/s in steps of 20; more is a soak, not a search.
export const MAX_CAPACITY_STEPS = 50;

export interface CapacitySettings {
  // Offered events/s of each step: start, start + step, ... up to max.
  rates: number[];
  stepDurationMs: number;
  // The SLO each step must hold (verify's own limit, VERIFY_MAX_E2E_P99_MS).
  sloE2eP99Ms: number;
  json: string | null;
  html: string | null;
  prometheusUrl: string | null;
}

export function readCapacitySettings(env: Env): CapacitySettings {
  const start = readInt(env, "CAPACITY_START", 50, 1, 100_000);
  const step = readInt(env, "CAPACITY_STEP", start, 1, 100_000);
  if (readString(env, "CAPACITY_MAX", "") === "")
    throw new ConfigError(
      `CAPACITY_MAX is required: expected the highest rate to try, in events/s (at least CAPACITY_START=${start})`,
    );
  const max = readInt(env, "CAPACITY_MAX", start, start, 100_000);
  const rates: number[] = [];
  for (let r = start; r <= max; r += step) rates.push(r);
  if (rates.length > MAX_CAPACITY_STEPS)
    fail(
      "CAPACITY_STEP",
      String(step),
      `a step that reaches CAPACITY_MAX=${max} from CAPACITY_START=${start} in at most ${MAX_CAPACITY_STEPS} steps (at least ${Math.ceil((max - start + 1) / MAX_CAPACITY_STEPS)})`,
    );
  // Read as verify reads it (verify judges each step with it).
  const slo = readNumber(env, SLO_VARIABLE, NaN, 0, 86_400_000);
  if (Number.isNaN(slo))
    throw new ConfigError(
      `${SLO_VARIABLE} is required for capacity: expected the SLO each step must hold, in ms (e.g. 500)`,
    );
  const json = readString(env, "CAPACITY_JSON", "");
  const html = readString(env, "CAPACITY_HTML", "");
  const stepDurationMs = readDurationMs(env, "CAPACITY_STEP_DURATION", "20s", 5000, 3_600_000);
  return {
    rates,
    stepDurationMs,
    sloE2eP99Ms: slo,
    json: json === "" ? null : json,
    html: html === "" ? null : html,
    prometheusUrl: readPrometheusUrl(env),
  };
}

export const describeSearch = (s: CapacitySettings): string =>
  `${s.rates.length} steps of ${formatDuration(s.stepDurationMs)} at ${s.rates.join(", ")} events/s; a step holds when verify passes (e2e p99 <= ${s.sloE2eP99Ms} ms, every delivery arrived) and k6 dropped at most 1% of the iterations`;
