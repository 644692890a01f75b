import { strict as assert } from "node:assert";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { NO_FAULTS } from "../../src/receiver/faults";
import { percentileMs } from "../../src/runstate/histogram";
import { connectRedis, type RedisServer, startRedis } from "../support/redis-server";
import { testProfiles } from "../support/run-record";
import { createRun, deliver, getJson, inParallel, type MockProcess, secretOf, startMock } from "./fixtures";

const control = (mock: MockProcess, query: string, method = "GET", body?: unknown) =>
  getJson(mock, `/control/faults${query}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

// Receiver behaviour per traffic profile: one mock (two workers) and a second
// replica serve a run of two profiles over one real redis-server.
describe("mock webhook process: receiver behaviour per traffic profile", function () {
  this.timeout(90_000);
  let server: RedisServer;
  let redis: NodeRedisPort;
  let mock: MockProcess;
  let replica: MockProcess;
  // slow: 1 tenant x 2 destinations (d0, d1) answering after 120 ms; fast: 2 x 1 (d2, d3), the mock's own faults.
  const profiles = testProfiles([
    { name: "slow", tenants: 1, destinationsPerTenant: 2, receiver: { ...NO_FAULTS, latency: "fixed:120ms" } },
    { name: "fast", tenants: 2, destinationsPerTenant: 1 },
  ]);
  const timed = async (m: MockProcess, testId: string, seq: number, d: number, profile: string) => {
    const start = Date.now();
    const a = await deliver(m, testId, seq, d, [secretOf(d)], profile);
    return { status: a.status, ms: Date.now() - start, body: a.body };
  };

  before(async () => {
    server = await startRedis();
    redis = await connectRedis(server);
    [mock, replica] = await Promise.all([
      startMock({ REDIS_URL: server.url, MOCK_WORKERS: "2" }),
      startMock({ REDIS_URL: server.url }),
    ]);
  });
  after(async () => {
    await Promise.all([mock?.stop(), replica?.stop()]);
    await redis?.close();
    await server?.stop();
  });

  it("applies each profile's receiver to its own destinations, and records the hold it applied", async () => {
    const { record, store } = await createRun(redis, "recv1", profiles);
    const t = Date.now();
    for (let seq = 0; seq < 4; seq++)
      for (const p of record.profiles) await store.recordPublishAccepted(record, p, { seq, t0Ms: t, t2Ms: t });
    const slow = await inParallel(8, 8, (i) => timed(mock, "recv1", i >> 1, i % 2, "slow"));
    const fast = await inParallel(4, 4, (seq) => timed(mock, "recv1", seq, 2 + (seq % 2), "fast"));
    assert.deepEqual(new Set([...slow, ...fast].map((a) => a.status)), new Set([200]));
    assert.ok(
      slow.every((a) => a.ms >= 120),
      `slow answers ${slow.map((a) => a.ms)}`,
    );
    assert.ok(
      fast.every((a) => a.ms < 100),
      `fast answers ${fast.map((a) => a.ms)}`,
    );
    const held = await store.histogram("receiver", 1);
    assert.deepEqual([held.count, percentileMs(held, 50)], [4, 120]);
    assert.equal((await store.histogram("receiver", 3)).maxUs, 0);
  });

  it("counts an event delivered to another profile's destination as an anomaly", async () => {
    const { record, store } = await createRun(redis, "recv2", profiles);
    await store.recordPublishAccepted(record, record.profiles[1], { seq: 0, t0Ms: Date.now(), t2Ms: Date.now() });
    const a = await deliver(mock, "recv2", 0, 0, [secretOf(0)], "fast");
    assert.deepEqual([a.status, JSON.parse(a.body).anomaly], [200, "wrong_tenant"]);
    assert.deepEqual(await store.counters(store.keys.anomalies), { "unknown:wrong_tenant": 1 });
  });

  it("changes one profile's receiver at run time: on every worker at once, on another replica within a second", async () => {
    const { record, store } = await createRun(redis, "recv3", profiles);
    const t = Date.now();
    for (let seq = 0; seq < 400; seq++)
      for (const p of record.profiles) await store.recordPublishAccepted(record, p, { seq, t0Ms: t, t2Ms: t });
    // Prime the replica's copy of the run's receivers.
    assert.equal((await timed(replica, "recv3", 0, 2, "fast")).status, 200);

    const put = await control(mock, "?testId=recv3&profile=fast", "PUT", { errorRatio: 1, errorStatuses: [502] });
    assert.equal(put.status, 200);
    assert.deepEqual([put.json.profile, put.json.source, put.json.errorRatio], ["fast", "control", 1]);
    // Many connections: the cluster spreads them over both workers.
    const failing = await inParallel(64, 32, (i) => timed(mock, "recv3", 10 + i, 2 + (i % 2), "fast"));
    assert.deepEqual(new Set(failing.map((a) => a.status)), new Set([502]));
    const slow = await timed(mock, "recv3", 1, 0, "slow");
    assert.deepEqual([slow.status, slow.ms >= 120], [200, true], "the other profile keeps its receiver");
    assert.equal((await control(mock, "")).json.errorRatio, 0, "the mock's own faults are untouched");

    const deadline = Date.now() + 3000;
    let onReplica = 0;
    let seq = 100;
    while (onReplica !== 502 && Date.now() < deadline) {
      onReplica = (await timed(replica, "recv3", seq++, 2, "fast")).status;
      if (onReplica !== 502) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(onReplica, 502, "the other replica reads the change from Redis (RECEIVER_REFRESH_MS)");
    assert.deepEqual(
      [(await control(replica, "?testId=recv3&profile=fast")).json.source, (await store.receiverOverrides()).size],
      ["control", 1],
    );

    assert.equal((await control(mock, "?testId=recv3&profile=fast", "DELETE")).status, 200);
    const healed = await inParallel(16, 16, (i) => timed(mock, "recv3", 200 + i, 2 + (i % 2), "fast"));
    assert.deepEqual(new Set(healed.map((a) => a.status)), new Set([200]));
  });

  it("answers a control call it cannot place with one line saying what it needs", async () => {
    await createRun(redis, "recv4", profiles);
    const cases: Array<[string, number, RegExp]> = [
      ["?testId=recv4&profile=medium", 400, /^profile="medium" is invalid: expected one of slow, fast$/],
      ["?testId=recv4", 400, /^run recv4 has several profiles: add \?profile= one of slow, fast$/],
      ["?testId=nope&profile=slow", 404, /^no run record for testId=nope$/],
      ["?testId=bad_id&profile=slow", 400, /^testId="bad_id" is invalid: expected a TEST_ID/],
      ["?profile=slow", 400, /^profile= needs testId=<the run's TEST_ID>$/],
    ];
    for (const [query, status, error] of cases) {
      const r = await control(mock, query);
      assert.equal(r.status, status, query);
      assert.match(String(r.json.error), error);
    }
    const bad = await control(mock, "?testId=recv4&profile=slow", "PUT", { latency: "slow" });
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /^latency="slow" is invalid: expected none, fixed:D/);
    assert.equal((await control(mock, "?testId=recv4&profile=slow")).json.source, "profile");
  });
});
