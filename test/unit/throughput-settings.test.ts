import { strict as assert } from "node:assert";
import type { Env } from "../../src/config/env";
import { publicThroughputSettings, readThroughputSettings } from "../../src/config/throughput-settings";
import { configErrorOf } from "../support/config-error";

const configError = (env: Env): string => configErrorOf(() => readThroughputSettings(env));

describe("throughput settings", () => {
  it("defaults target the local stack", () => {
    const s = readThroughputSettings({});
    assert.deepEqual(
      [s.outpostUrl, s.outpostApiKey, s.mockUrl, s.mockDestinationUrl, s.redisUrl, s.testId, s.preset],
      [
        "http://127.0.0.1:3333",
        "",
        "http://127.0.0.1:48080",
        "http://127.0.0.1:48080",
        "redis://127.0.0.1:6379",
        null,
        null,
      ],
    );
    assert.deepEqual(
      [
        s.profiles[0].tenants,
        s.profiles[0].destinationsPerTenant,
        s.profiles[0].topic,
        s.profiles[0].retry,
        s.profiles[0].payloadBytes,
        s.profiles[0].load.profile,
        s.profiles[0].load.rate,
        s.profiles[0].load.durationMs,
        s.warmupMs,
      ],
      [1, 1, "loadtest.event", false, 1024, "constant", 10, 30_000, 0],
    );
  });

  it("MOCK_DESTINATION_URL follows MOCK_URL unless set", () => {
    assert.equal(readThroughputSettings({ MOCK_URL: "http://mock:9000/" }).mockDestinationUrl, "http://mock:9000");
    assert.equal(
      readThroughputSettings({ MOCK_URL: "http://a:1", MOCK_DESTINATION_URL: "http://b:2" }).mockDestinationUrl,
      "http://b:2",
    );
  });

  it("sizes VUs from the peak rate unless told", () => {
    const l = readThroughputSettings({ RATE: "1000" }).profiles[0].load;
    assert.deepEqual([l.preAllocatedVUs, l.maxVUs], [500, 2000]);
    const spike = readThroughputSettings({ PROFILE: "spike", RATE: "100", SPIKE_RATE: "2000" }).profiles[0].load;
    assert.deepEqual([spike.preAllocatedVUs, spike.maxVUs], [1000, 4000]);
    const low = readThroughputSettings({ RATE: "4" }).profiles[0].load;
    assert.deepEqual([low.preAllocatedVUs, low.maxVUs], [10, 10]);
    const set = readThroughputSettings({ PRE_ALLOCATED_VUS: "7", MAX_VUS: "9" }).profiles[0].load;
    assert.deepEqual([set.preAllocatedVUs, set.maxVUs], [7, 9]);
  });

  const bad: Array<[string, Env]> = [
    ["OUTPOST_URL", { OUTPOST_URL: "localhost:3333" }],
    ["OUTPOST_URL", { OUTPOST_URL: "ftp://x" }],
    ["MOCK_URL", { MOCK_URL: "not a url" }],
    ["MOCK_DESTINATION_URL", { MOCK_DESTINATION_URL: "redis://x:1" }],
    ["REDIS_URL", { REDIS_URL: "http://127.0.0.1:6379" }],
    ["RUN_TTL", { RUN_TTL: "10s" }],
    ["TEST_ID", { TEST_ID: "has_underscore" }],
    ["TENANTS", { TENANTS: "0" }],
    ["TENANTS", { TENANTS: "2.5" }],
    ["DESTINATIONS_PER_TENANT", { DESTINATIONS_PER_TENANT: "21" }],
    ["DESTINATIONS_PER_TENANT", { DESTINATIONS_PER_TENANT: "many" }],
    ["TOPIC", { TOPIC: "has space" }],
    ["RETRY", { RETRY: "maybe" }],
    ["PAYLOAD_BYTES", { PAYLOAD_BYTES: "10" }],
    ["PAYLOAD_BYTES", { PAYLOAD_BYTES: "2000000" }],
    ["PUBLISH_TIMEOUT", { PUBLISH_TIMEOUT: "forever" }],
    ["PROVISION_CONCURRENCY", { PROVISION_CONCURRENCY: "0" }],
    ["PROFILE", { PROFILE: "burst" }],
    ["RATE", { RATE: "0" }],
    ["RATE", { RATE: "10/s" }],
    ["DURATION", { DURATION: "500ms" }],
    ["DURATION", { DURATION: "ten minutes" }],
    ["WARMUP", { WARMUP: "-1s" }],
    ["WARMUP", { DURATION: "30s", WARMUP: "30s" }],
    ["START_RATE", { START_RATE: "-1" }],
    ["RAMP_UP", { PROFILE: "ramp", DURATION: "1m", RAMP_UP: "2m" }],
    ["SPIKE_RATE", { SPIKE_RATE: "0" }],
    ["SPIKE_DURATION", { DURATION: "30s", SPIKE_DURATION: "29s" }],
    ["DURATION", { PROFILE: "spike", DURATION: "2s" }],
    ["STEPS", { STEPS: "1" }],
    ["STEPS", { DURATION: "10s", STEPS: "6" }],
    ["DURATION", { PROFILE: "step", DURATION: "3s" }],
    ["PRE_ALLOCATED_VUS", { PRE_ALLOCATED_VUS: "0" }],
    ["MAX_VUS", { PRE_ALLOCATED_VUS: "10", MAX_VUS: "5" }],
    ["THRESHOLD_PUBLISH_P95_MS", { THRESHOLD_PUBLISH_P95_MS: "-5" }],
    ["THRESHOLD_PUBLISH_P99_MS", { THRESHOLD_PUBLISH_P99_MS: "fast" }],
    ["THRESHOLD_MAX_REJECTED", { THRESHOLD_MAX_REJECTED: "-2" }],
    ["THRESHOLD_MAX_DUPLICATES", { THRESHOLD_MAX_DUPLICATES: "x" }],
    ["THRESHOLD_MAX_DROPPED", { THRESHOLD_MAX_DROPPED: "1.5" }],
  ];
  for (const [name, env] of bad) {
    it(`rejects ${name}=${JSON.stringify(Object.values(env).slice(-1)[0])} in one line naming it`, () => {
      const msg = configError(env);
      assert.ok(msg.startsWith(`${name}=`) || msg.startsWith(`${name} `), msg);
      assert.ok(msg.includes("expected"), msg);
      assert.ok(!msg.includes("\n"), msg);
    });
  }

  it("never echoes OUTPOST_API_KEY", () => {
    const msg = configError({ OUTPOST_API_KEY: "sekrit value" });
    assert.ok(msg.startsWith("OUTPOST_API_KEY "), msg);
    assert.ok(!msg.includes("sekrit"), msg);
  });

  it("keeps secrets out of the public settings", () => {
    const pub = publicThroughputSettings(
      readThroughputSettings({ OUTPOST_API_KEY: "sekrit", REDIS_URL: "redis://u:pw@h:6379" }),
    );
    const text = JSON.stringify(pub);
    assert.ok(!text.includes("sekrit") && !text.includes("pw@"), text);
    assert.equal(pub.REDIS_URL, "redis://u:***@h:6379");
  });
});
