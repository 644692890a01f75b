import { TEST_ID_PATTERN } from "../runstate/identity";
import { DEFAULT_RUN_TTL_SECONDS } from "../runstate/keys";
import { ConfigError, type Env, readDurationMs, readUrl } from "./env";

// Settings every component of a run reads the same way.
export interface CommonSettings {
  redisUrl: string;
  runTtlSeconds: number;
}

export function readCommonSettings(env: Env): CommonSettings {
  return {
    redisUrl: readUrl(env, "REDIS_URL", "redis://127.0.0.1:6379", ["redis", "rediss"]),
    runTtlSeconds: Math.round(
      readDurationMs(env, "RUN_TTL", `${DEFAULT_RUN_TTL_SECONDS}s`, 60_000, 90 * 24 * 3_600_000) / 1000,
    ),
  };
}

// TEST_ID when given, validated; null when absent (throughput then generates one).
export function readTestId(env: Env): string | null {
  const v = env.TEST_ID?.trim();
  if (!v) return null;
  if (!TEST_ID_PATTERN.test(v)) {
    throw new ConfigError(`TEST_ID=${JSON.stringify(v)} is invalid: expected 1 to 48 letters, digits or '-'`);
  }
  return v;
}

// A fresh run name: sortable by time, unique enough across concurrent starts.
export function generateTestId(nowMs: number, random: () => number): string {
  const d = new Date(nowMs).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const suffix = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0");
  return `run-${d}-${suffix}`;
}
