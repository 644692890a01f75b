import { STAGES, type Stage } from "../runstate/keys";
import { type CommonSettings, readCommonSettings, readTestId } from "./common-settings";
import { ConfigError, type Env, readBool, readDurationMs, readInt, readNumber, readString } from "./env";

export const PERCENTILES = ["p50", "p90", "p95", "p99", "max"] as const;
export type Percentile = (typeof PERCENTILES)[number];

// An opt-in latency limit, e.g. VERIFY_MAX_E2E_P99_MS=250.
export interface LatencyLimit {
  variable: string;
  stage: Stage;
  percentile: Percentile;
  maxMs: number;
}

export interface VerifySettings extends CommonSettings {
  testId: string;
  // Stop waiting once no new delivery arrived for this long.
  graceMs: number;
  // Stop waiting after this long whatever happens.
  timeoutMs: number;
  pollIntervalMs: number;
  listMissing: number;
  // Attempts Outpost makes per event with retries on; 0 = unknown.
  outpostMaxAttempts: number;
  summaryJson: string | null;
  // Self-contained HTML report (charts inlined); null: none.
  summaryHtml: string | null;
  minDeliveredRatio: number;
  latencyLimits: LatencyLimit[];
  // Judge a run that stopped before its schedule's end on what it published.
  allowPartial: boolean;
  // Publishes Outpost refused or never answered that a passing run may have.
  maxPublishErrors: number;
}

export function latencyLimitVariable(stage: Stage, percentile: Percentile): string {
  return `VERIFY_MAX_${stage.toUpperCase()}_${percentile.toUpperCase()}_MS`;
}

function readLatencyLimits(env: Env): LatencyLimit[] {
  const limits: LatencyLimit[] = [];
  for (const stage of STAGES) {
    for (const percentile of PERCENTILES) {
      const variable = latencyLimitVariable(stage, percentile);
      const maxMs = readNumber(env, variable, NaN, 0, 86_400_000);
      if (!Number.isNaN(maxMs)) limits.push({ variable, stage, percentile, maxMs });
    }
  }
  return limits;
}

export function readVerifySettings(env: Env): VerifySettings {
  const testId = readTestId(env);
  if (testId === null) {
    throw new ConfigError(
      "TEST_ID is required for verify: expected the run's TEST_ID (1 to 48 letters, digits or '-') as printed by throughput",
    );
  }
  const graceMs = readDurationMs(env, "VERIFY_GRACE", "30s", 0, 24 * 3_600_000);
  const timeoutMs = readDurationMs(env, "VERIFY_TIMEOUT", "10m", 0, 24 * 3_600_000);
  const summaryJson = readString(env, "SUMMARY_JSON", "");
  const summaryHtml = readString(env, "SUMMARY_HTML", "");
  return {
    ...readCommonSettings(env),
    testId,
    graceMs,
    timeoutMs,
    pollIntervalMs: readDurationMs(env, "VERIFY_POLL_INTERVAL", "1s", 100, 60_000),
    listMissing: readInt(env, "VERIFY_LIST_MISSING", 20, 0, 100_000),
    // Outpost's default: 1 + MAX_RETRY_LIMIT (10). The mock counts faults per event in 4 bits.
    outpostMaxAttempts: readInt(env, "OUTPOST_MAX_ATTEMPTS", 11, 0, 15),
    summaryJson: summaryJson === "" ? null : summaryJson,
    summaryHtml: summaryHtml === "" ? null : summaryHtml,
    minDeliveredRatio: readNumber(env, "VERIFY_MIN_DELIVERED_RATIO", 1, 0, 1),
    latencyLimits: readLatencyLimits(env),
    allowPartial: readBool(env, "VERIFY_ALLOW_PARTIAL", false),
    maxPublishErrors: readInt(env, "VERIFY_MAX_PUBLISH_ERRORS", 0, 0, Number.MAX_SAFE_INTEGER),
  };
}
