import { strict as assert } from "node:assert";
import { ConfigError } from "../../src/config/env";
import { readVerifySettings } from "../../src/config/verify-settings";

const base = { TEST_ID: "run-1" };

function configError(env: Record<string, string>): string {
  try {
    readVerifySettings(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`no error for ${JSON.stringify(env)}`);
}

describe("verify settings", () => {
  it("has defaults that need only TEST_ID", () => {
    const s = readVerifySettings(base);
    assert.deepEqual(
      {
        grace: s.graceMs,
        timeout: s.timeoutMs,
        poll: s.pollIntervalMs,
        list: s.listMissing,
        json: s.summaryJson,
        ratio: s.minDeliveredRatio,
        limits: s.latencyLimits,
        redis: s.redisUrl,
      },
      {
        grace: 30_000,
        timeout: 600_000,
        poll: 1000,
        list: 20,
        json: null,
        ratio: 1,
        limits: [],
        redis: "redis://127.0.0.1:6379",
      },
    );
  });

  it("reads opt-in latency limits per stage and percentile", () => {
    const s = readVerifySettings({ ...base, VERIFY_MAX_E2E_P99_MS: "250", VERIFY_MAX_QUEUE_MAX_MS: "1000.5" });
    assert.deepEqual(s.latencyLimits, [
      { variable: "VERIFY_MAX_QUEUE_MAX_MS", stage: "queue", percentile: "max", maxMs: 1000.5 },
      { variable: "VERIFY_MAX_E2E_P99_MS", stage: "e2e", percentile: "p99", maxMs: 250 },
    ]);
  });

  const bad: Array<[string, Record<string, string>]> = [
    ["TEST_ID", {}],
    ["TEST_ID", { TEST_ID: "has space" }],
    ["TEST_ID", { TEST_ID: "under_score" }],
    ["VERIFY_GRACE", { ...base, VERIFY_GRACE: "soon" }],
    ["VERIFY_TIMEOUT", { ...base, VERIFY_TIMEOUT: "-1s" }],
    ["VERIFY_POLL_INTERVAL", { ...base, VERIFY_POLL_INTERVAL: "10ms" }],
    ["VERIFY_LIST_MISSING", { ...base, VERIFY_LIST_MISSING: "1.5" }],
    ["OUTPOST_MAX_ATTEMPTS", { ...base, OUTPOST_MAX_ATTEMPTS: "16" }],
    ["VERIFY_MIN_DELIVERED_RATIO", { ...base, VERIFY_MIN_DELIVERED_RATIO: "1.01" }],
    ["VERIFY_MIN_DELIVERED_RATIO", { ...base, VERIFY_MIN_DELIVERED_RATIO: "99%" }],
    ["VERIFY_MAX_E2E_P99_MS", { ...base, VERIFY_MAX_E2E_P99_MS: "fast" }],
    ["VERIFY_MAX_PUBLISH_P50_MS", { ...base, VERIFY_MAX_PUBLISH_P50_MS: "-3" }],
    ["REDIS_URL", { ...base, REDIS_URL: "http://127.0.0.1:6379" }],
    ["RUN_TTL", { ...base, RUN_TTL: "1s" }],
  ];
  for (const [variable, env] of bad) {
    it(`rejects ${variable}=${JSON.stringify(env[variable] ?? "")} with one line naming it`, () => {
      const message = configError(env);
      assert.ok(message.startsWith(variable), message);
      assert.ok(!message.includes("\n"), message);
      assert.match(message, /expected/);
    });
  }

  it("never echoes a Redis password", () => {
    const message = configError({ ...base, REDIS_URL: "http://user:hunter2@host:6379" });
    assert.ok(!message.includes("hunter2"), message);
  });
});
