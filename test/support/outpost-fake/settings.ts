import { type Env, fail, readBool, readInt, readNumber, readSecret } from "../../../src/config/env";

// The fake's settings, under the names Outpost v1.2.0 reads (internal/config/config.go,
// internal/config/destinations.go) and with Outpost's defaults. The conformance suite
// also reads them to learn how a real Outpost under test was started.
export interface FakeSettings {
  // API_KEY; empty = every caller is admin ("VPC mode", internal/apirouter/auth_middleware.go).
  apiKey: string;
  // RETRY_SCHEDULE in seconds; when set, its length replaces MAX_RETRY_LIMIT
  // (internal/config/validation.go validateRetryConfiguration). Outpost takes whole
  // seconds >= 1; the fake also takes fractions so tests stay short.
  retrySchedule: number[];
  retryIntervalSeconds: number;
  maxRetryLimit: number;
  deliveryMaxConcurrency: number;
  deliveryTimeoutSeconds: number;
  includeMillisecondTimestamp: boolean;
  maxDestinationsPerTenant: number;
  publishIdempotencyKeyTtlSeconds: number;
}

export const DEFAULT_FAKE_SETTINGS: FakeSettings = {
  apiKey: "",
  retrySchedule: [],
  retryIntervalSeconds: 30,
  maxRetryLimit: 10,
  deliveryMaxConcurrency: 1,
  deliveryTimeoutSeconds: 5,
  includeMillisecondTimestamp: false,
  maxDestinationsPerTenant: 20,
  publishIdempotencyKeyTtlSeconds: 3600,
};

function readSchedule(env: Env, name: string): number[] {
  const v = env[name]?.trim();
  if (!v) return [];
  const parts = v.split(",").map((s) => s.trim());
  if (!parts.every((p) => /^\d+(\.\d+)?$/.test(p) && Number(p) > 0 && Number(p) <= 86_400))
    fail(name, v, "a comma-separated list of delays in seconds, each above 0 and at most 86400, e.g. 1,2,4");
  return parts.map(Number);
}

export function readFakeSettings(env: Env): FakeSettings {
  const d = DEFAULT_FAKE_SETTINGS;
  return {
    apiKey: readSecret(env, "API_KEY", d.apiKey, /^\S*$/, "a key without spaces"),
    retrySchedule: readSchedule(env, "RETRY_SCHEDULE"),
    retryIntervalSeconds: readNumber(env, "RETRY_INTERVAL_SECONDS", d.retryIntervalSeconds, 0.001, 86_400),
    maxRetryLimit: readInt(env, "MAX_RETRY_LIMIT", d.maxRetryLimit, 0, 1000),
    deliveryMaxConcurrency: readInt(env, "DELIVERY_MAX_CONCURRENCY", d.deliveryMaxConcurrency, 1, 10_000),
    deliveryTimeoutSeconds: readNumber(env, "DELIVERY_TIMEOUT_SECONDS", d.deliveryTimeoutSeconds, 0.001, 3600),
    includeMillisecondTimestamp: readBool(
      env,
      "DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP",
      d.includeMillisecondTimestamp,
    ),
    maxDestinationsPerTenant: readInt(env, "MAX_DESTINATIONS_PER_TENANT", d.maxDestinationsPerTenant, 1, 100_000),
    publishIdempotencyKeyTtlSeconds: readNumber(
      env,
      "PUBLISH_IDEMPOTENCY_KEY_TTL",
      d.publishIdempotencyKeyTtlSeconds,
      0.001,
      30 * 86_400,
    ),
  };
}
