import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { NodeRedisPort } from "../../adapters/node/redis";
import { eventId } from "../../src/runstate/identity";
import { connectRedis, startRedis, withRedis } from "../support/redis-server";
import { type Answer, createRun, deliver, getJson, inParallel, metric, startMock } from "./fixtures";

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (await check()) return;
  assert.fail(`timed out waiting until ${what}`);
}

describe("mock webhook process: Redis outage, shutdown, memory", function () {
  this.timeout(90_000);
  const live = withRedis();

  it("answers 503 while Redis is unreachable and records again once it is back", async () => {
    const own = await startRedis();
    const mock = await startMock({ REDIS_URL: own.url });
    try {
      const ownRedis = await connectRedis(own);
      await createRun(ownRedis, "outage1", { tenants: 1, destinationsPerTenant: 1 });
      await ownRedis.close();
      assert.equal((await deliver(mock, "outage1", 0, 0)).status, 200);
      await own.stop();
      assert.equal((await deliver(mock, "outage1", 1, 0)).status, 503);
      assert.equal((await fetch(`${mock.url}/healthz`)).status, 503);
      assert.ok((await metric(mock, "mock_webhook_redis_errors_total")) >= 1);

      // Same port, empty data: the mock reconnects on its own.
      const again = spawn(
        "redis-server",
        ["--port", String(own.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: "ignore" },
      );
      try {
        await eventually("the mock is healthy again", async () => (await fetch(`${mock.url}/healthz`)).status === 200);
        const back = await NodeRedisPort.connect(own.url);
        const { store } = await createRun(back, "outage2", { tenants: 1, destinationsPerTenant: 1 });
        assert.equal((await deliver(mock, "outage2", 0, 0)).status, 200);
        assert.equal(Number(await back.command(["GETBIT", store.keys.receipts(0), 0])), 1);
        await back.close();
      } finally {
        again.kill("SIGTERM");
      }
    } finally {
      await mock.stop();
    }
  });

  for (const workers of ["1", "2"]) {
    it(`on SIGTERM under load (${workers} worker(s)) drains, exits 0, and every 200 has its receipt`, async () => {
      const testId = `term${workers}`;
      const { store } = await createRun(live.redis, testId, { tenants: 1, destinationsPerTenant: 1 });
      // Some latency keeps requests in flight when the signal lands.
      const mock = await startMock({
        REDIS_URL: live.server.url,
        MOCK_WORKERS: workers,
        MOCK_FAULT_LATENCY: "uniform:0ms,30ms",
      });
      let next = 0;
      let refused = false;
      const answers: Array<[number, Answer]> = [];
      const load = Promise.all(
        Array.from({ length: 32 }, async () => {
          while (!refused) {
            const seq = next++;
            const a = await deliver(mock, testId, seq, 0);
            answers.push([seq, a]);
            if (a.status === 0 && mock.child.exitCode !== null) refused = true;
          }
        }),
      );
      await eventually("load is flowing", async () => answers.length > 200);
      const code = await mock.stop("SIGTERM");
      refused = true;
      await load;
      assert.equal(code, 0, mock.output());
      const acked = answers.filter(([, a]) => a.status === 200).map(([seq]) => seq);
      assert.ok(acked.length > 200);
      // Refused (0) once nothing listens; a 503 (Outpost retries) would be safe too, anything else is not.
      const unexpected = answers.filter(([, a]) => ![200, 0, 503].includes(a.status));
      assert.deepEqual(
        unexpected,
        [],
        `unexpected statuses: ${[...new Set(unexpected.map(([, a]) => a.status))].join(", ")}`,
      );
      const lost = [];
      for (const seq of acked)
        if (Number(await live.redis.command(["GETBIT", store.keys.receipts(0), seq])) !== 1) lost.push(seq);
      assert.deepEqual(lost, [], "acknowledged receipts missing from Redis");
      assert.equal((await store.counters(store.keys.destination(0))).first, acked.length);
    });
  }

  it("stays bounded under a burst of distinct events", async () => {
    const mock = await startMock({ REDIS_URL: live.server.url, MOCK_RECENT_EVENTS: "500" });
    try {
      const { store } = await createRun(live.redis, "burst1", { tenants: 1, destinationsPerTenant: 1 });
      const n = 2000;
      const answers = await inParallel(n, 64, (seq) => deliver(mock, "burst1", seq, 0));
      assert.equal(answers.filter((a) => a.status === 200).length, n);
      assert.equal((await store.counters(store.keys.destination(0))).first, n);
      assert.equal(await metric(mock, "mock_webhook_recent_events"), 500);
      const rss = await metric(mock, "mock_webhook_process_resident_memory_bytes");
      assert.ok(rss > 0 && rss < 256 * 1024 * 1024, `RSS ${Math.round(rss / 1048576)} MiB`);
      // The oldest events left the debugging cache; Redis still knows them.
      const early = await getJson(mock, `/events/${eventId("burst1", { name: "" }, 0)}`);
      assert.deepEqual(
        [early.json.recent, early.json.destinations],
        [[], [{ destination: 0, received: true, faulted: false }]],
      );
      const late = await getJson(mock, `/events/${eventId("burst1", { name: "" }, n - 1)}`);
      assert.equal((late.json.recent as unknown[]).length, 1);
    } finally {
      await mock.stop();
    }
  });
});
