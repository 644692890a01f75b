import { strict as assert } from "node:assert";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { connectRedis, type RedisServer, startRedis } from "../support/redis-server";
import { destinationSnapshot } from "../support/scripted-run";
import { createRun, deliver, getJson, inParallel, metric, type MockProcess, startMock } from "./fixtures";

const put = (mock: MockProcess, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> =>
  getJson(mock, "/control/faults", { method: "PUT", body: JSON.stringify(body) });

describe("mock webhook process: faults and runtime control (2 workers)", function () {
  this.timeout(90_000);
  let server: RedisServer;
  let redis: NodeRedisPort;
  let mock: MockProcess;
  before(async () => {
    server = await startRedis();
    redis = await connectRedis(server);
    mock = await startMock({ REDIS_URL: server.url, MOCK_WORKERS: "2" });
  });
  after(async () => {
    assert.equal(await mock?.stop(), 0, "the cluster drains and exits 0 on SIGTERM");
    await redis?.close();
    await server?.stop();
  });

  it("injects each fault at its ratio, records every one in Redis, and sums metrics over workers", async () => {
    const faults = {
      errorRatio: 0.2,
      errorStatuses: [500, 503],
      timeoutRatio: 0.1,
      timeoutHold: "200ms",
      resetRatio: 0.1,
    };
    assert.equal((await put(mock, faults)).status, 200);
    const { record, store } = await createRun(redis, "faults1", { tenants: 1, destinationsPerTenant: 1 });
    const n = 600;
    const t = Date.now();
    for (let seq = 0; seq < n; seq++)
      await store.recordPublishAccepted(record, record.profiles[0], { seq, t0Ms: t, t2Ms: t });
    const answers = await inParallel(n, 32, (seq) => deliver(mock, "faults1", seq, 0));
    const seen: Record<string, number> = {};
    for (const a of answers) seen[a.status] = (seen[a.status] ?? 0) + 1;
    const within = (status: string, p: number): void => {
      const sd = Math.sqrt(n * p * (1 - p));
      assert.ok(
        Math.abs((seen[status] ?? 0) - n * p) < 5 * sd,
        `${status}: ${seen[status]} of ${n}, expected about ${n * p}`,
      );
    };
    within("200", 0.6);
    within("500", 0.1);
    within("503", 0.1);
    within("504", 0.1);
    within("0", 0.1);

    const c = await store.counters(store.keys.destination(0));
    assert.deepEqual(
      [c.first, c["fault:error:500"], c["fault:error:503"], c["fault:timeout"], c["fault:reset"], c.attempts],
      [seen["200"], seen["500"], seen["503"], seen["504"], seen["0"], n],
    );
    const ledger = await destinationSnapshot(store, record, 0, 5);
    assert.deepEqual(
      [ledger.delivered, ledger.faultPending, ledger.undeliveredNoFault],
      [seen["200"], n - seen["200"], 0],
      "faulted events wait for a retry, they are not lost",
    );
    assert.equal(await metric(mock, "mock_webhook_faults_total", { kind: "error" }), seen["500"] + seen["503"]);
    assert.equal(await metric(mock, "mock_webhook_faults_total", { kind: "reset" }), seen["0"]);
    assert.equal(await metric(mock, "mock_webhook_receipts_total", { outcome: "first" }), seen["200"]);
  });

  it("changes faults on every worker at run time, validating like the environment", async () => {
    assert.equal((await getJson(mock, "/control/faults", { method: "DELETE" })).status, 200);
    const bad = await put(mock, { timeoutRatio: 0.5, resetRatio: 0.7 });
    assert.equal(bad.status, 400);
    assert.match(
      String(bad.json.error),
      /^errorRatio \+ timeoutRatio \+ resetRatio = 1\.2 is invalid: expected a sum of at most 1$/,
    );
    assert.equal((await put(mock, { latency: "gaussian:1ms" })).status, 400);
    assert.equal(
      (await getJson(mock, "/control/faults")).json.timeoutRatio,
      0,
      "a rejected change leaves the faults alone",
    );

    await createRun(redis, "control1", { tenants: 1, destinationsPerTenant: 1 });
    assert.deepEqual((await put(mock, { errorRatio: 1, errorStatuses: "502" })).json.errorStatuses, [502]);
    // Many connections: the cluster spreads them over both workers.
    const failing = await inParallel(64, 32, (seq) => deliver(mock, "control1", seq, 0));
    assert.deepEqual(new Set(failing.map((a) => a.status)), new Set([502]));

    assert.equal((await put(mock, { errorRatio: 0, latency: "fixed:80ms" })).status, 200);
    const started = Date.now();
    const slow = await inParallel(8, 8, (i) => deliver(mock, "control1", 100 + i, 0));
    assert.deepEqual(new Set(slow.map((a) => a.status)), new Set([200]));
    assert.ok(Date.now() - started >= 80, "added latency delays the answer");
    await getJson(mock, "/control/faults", { method: "DELETE" });
  });

  it("refuses to start on a bad fault setting, in one line naming it", async () => {
    await assert.rejects(startMock({ REDIS_URL: server.url, MOCK_FAULT_LATENCY: "spiky" }), (err: Error) => {
      const line = /mock-webhook: (.*)\n/.exec(err.message)?.[1] ?? "";
      return (
        line.startsWith('MOCK_FAULT_LATENCY="spiky" is invalid: expected none, fixed:D') && err.message.includes("(2)")
      );
    });
  });
});
