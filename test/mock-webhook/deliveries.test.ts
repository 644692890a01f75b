import { strict as assert } from "node:assert";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { destinationIndexes, eventId, tenantOfSeq } from "../../src/runstate/identity";
import { connectRedis, type RedisServer, startRedis } from "../support/redis-server";
import { destinationSnapshot } from "../support/scripted-run";
import {
  createRun,
  deliver,
  getJson,
  inParallel,
  metric,
  type MockProcess,
  post,
  secretOf,
  startMock,
} from "./fixtures";
import { outpostDelivery } from "./outpost-request";

describe("mock webhook process: recording deliveries", function () {
  this.timeout(60_000);
  let server: RedisServer;
  let redis: NodeRedisPort;
  let mock: MockProcess;
  let strict: MockProcess;
  before(async () => {
    server = await startRedis();
    redis = await connectRedis(server);
    [mock, strict] = await Promise.all([
      startMock({ REDIS_URL: server.url, MOCK_MAX_BODY: "4096" }),
      startMock({ REDIS_URL: server.url, MOCK_REQUIRE_SIGNATURE: "1" }),
    ]);
  });
  after(async () => {
    await Promise.all([mock?.stop(), strict?.stop()]);
    await redis?.close();
    await server?.stop();
  });

  it("shares one Redis call among concurrent deliveries, and answers each only once Redis holds its receipt", async () => {
    // A window far longer than a delivery takes: concurrent deliveries wait for one write.
    const batching = await startMock({ REDIS_URL: server.url, MOCK_RECEIPT_WINDOW: "50ms" });
    try {
      const shape = { tenants: 2, destinationsPerTenant: 2 };
      const { record, store } = await createRun(redis, "batch1", shape);
      const profile = record.profiles[0];
      const jobs: Array<[number, number]> = [];
      for (let seq = 0; seq < 100; seq++)
        for (const d of destinationIndexes(profile, tenantOfSeq(profile, seq))) jobs.push([seq, d]);
      const calls = async (): Promise<number> =>
        Number(/cmdstat_evalsha:calls=(\d+)/.exec(String(await redis.command(["INFO", "commandstats"])))?.[1] ?? 0);
      const before = await calls();
      const notYetInRedis: string[] = [];
      await inParallel(jobs.length, 40, async (i) => {
        const [seq, d] = jobs[i];
        const answer = await deliver(batching, "batch1", seq, d);
        assert.equal(answer.status, 200);
        // The moment the 200 arrives, its receipt is in Redis.
        if (Number(await redis.command(["GETBIT", store.keys.receipts(d), Math.floor(seq / shape.tenants)])) !== 1)
          notYetInRedis.push(`${seq}@d${d}`);
      });
      assert.deepEqual(notYetInRedis, []);
      const used = (await calls()) - before;
      assert.ok(used > 0 && used < jobs.length / 4, `${used} script calls for ${jobs.length} deliveries`);
      let first = 0;
      for (const d of record.destinations) first += (await store.counters(store.keys.destination(d.index))).first ?? 0;
      assert.equal(first, jobs.length);
    } finally {
      await batching.stop();
    }
  });

  it("records N distinct deliveries and K repeats exactly, before answering 200", async () => {
    const shape = { tenants: 3, destinationsPerTenant: 2 };
    const { record, store } = await createRun(redis, "exact1", shape);
    const n = 300;
    const t = Date.now();
    for (let seq = 0; seq < n; seq++)
      await store.recordPublishAccepted(record, record.profiles[0], { seq, t0Ms: t - 30, t2Ms: t - 25 });
    const jobs: Array<[number, number]> = [];
    for (let seq = 0; seq < n; seq++)
      for (const d of destinationIndexes(record.profiles[0], tenantOfSeq(record.profiles[0], seq))) jobs.push([seq, d]);
    const repeats = jobs.filter((_, i) => i % 17 === 0);
    const all = [...jobs, ...repeats];
    const answers = await inParallel(all.length, 32, (i) => deliver(mock, "exact1", all[i][0], all[i][1]));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(answers.filter((a) => JSON.parse(a.body).duplicate === true).length, repeats.length);

    let delivered = 0;
    let duplicates = 0;
    for (const d of record.destinations) {
      const l = await destinationSnapshot(store, record, d.index, 5);
      assert.equal(l.undeliveredNoFault, 0, `destination ${d.index} misses ${l.undeliveredNoFaultSeqs}`);
      assert.equal(l.received, l.delivered + l.unacknowledged);
      assert.equal(l.delivered, l.accepted);
      const c = await store.counters(store.keys.destination(d.index));
      assert.equal(c.attempts, c.first + (c.duplicate ?? 0));
      assert.equal(c["sig:ok"], c.attempts);
      delivered += l.delivered;
      duplicates += c.duplicate ?? 0;
    }
    assert.deepEqual([delivered, duplicates], [jobs.length, repeats.length]);
    const e2e = (await store.stageHistograms(record.profiles[0])).e2e;
    assert.ok(e2e.count === jobs.length, `e2e samples ${e2e.count}`);
    assert.equal(await metric(mock, "mock_webhook_receipts_total", { outcome: "duplicate" }), repeats.length);

    const ev = await getJson(mock, `/events/${eventId("exact1", { name: "" }, 4)}`);
    assert.equal(ev.status, 200);
    assert.deepEqual(
      ev.json.destinations,
      [2, 3].map((d) => ({ destination: d, received: true, faulted: false })),
    );
    const run = await getJson(mock, "/runs/exact1");
    assert.equal((run.json.deliveries as Record<string, number>).first, jobs.length);
    assert.ok(!JSON.stringify(run.json).includes("whsec_"), "GET /runs must not show secrets");
  });

  it("checks signatures, accepts a rotation, and with MOCK_REQUIRE_SIGNATURE answers 401 to bad or missing ones", async () => {
    const shape = { tenants: 1, destinationsPerTenant: 2 };
    // Destination 1 has no secret in the record: its signatures cannot be checked.
    const { record, store } = await createRun(redis, "sig1", shape, (d) => (d === 0 ? secretOf(0) : ""));
    const send = (target: MockProcess, seq: number, d: number, secrets: string[]): Promise<number> =>
      post(target, outpostDelivery({ testId: "sig1", seq, destination: d, secrets })).then((a) => a.status);
    const rotated = ["whsec_the_new_one", secretOf(0)];
    assert.deepEqual(
      [
        await send(mock, 0, 0, [secretOf(0)]),
        await send(mock, 1, 0, rotated),
        await send(mock, 2, 0, ["whsec_wrong"]),
        await send(mock, 3, 0, []),
        await send(mock, 4, 1, ["whsec_any"]),
      ],
      [200, 200, 200, 200, 200],
    );
    assert.deepEqual(
      [
        await send(strict, 10, 0, rotated),
        await send(strict, 11, 0, ["whsec_wrong"]),
        await send(strict, 12, 0, []),
        await send(strict, 13, 1, []),
      ],
      [200, 401, 401, 200],
    );
    const c0 = await store.counters(store.keys.destination(0));
    assert.deepEqual(
      [c0["sig:ok"], c0["sig:bad"], c0["sig:missing"], c0["fault:signature"], c0.first],
      [3, 2, 2, 2, 5],
    );
    assert.equal((await store.counters(store.keys.destination(1)))["sig:unchecked"], 2);
    assert.equal(await metric(strict, "mock_webhook_requests_total", { route: "webhook", status: "401" }), 2);
    // A rejected delivery is marked faulted, so verify counts it as retried, not lost.
    assert.equal((await destinationSnapshot(store, record, 0, 5)).faulted, 2);
  });

  it("answers 400 without an event id, 413 past MOCK_MAX_BODY, and 200 counting anomalies it cannot place", async () => {
    const shape = { tenants: 2, destinationsPerTenant: 1 };
    const { store } = await createRun(redis, "bad1", shape);
    const ok = outpostDelivery({ testId: "bad1", seq: 0, destination: 0, secrets: [secretOf(0)] });
    const { "x-outpost-event-id": _id, ...noId } = ok.headers;
    assert.equal((await post(mock, { ...ok, headers: noId })).status, 400);
    const big = outpostDelivery({
      testId: "bad1",
      seq: 2,
      destination: 0,
      secrets: [secretOf(0)],
      body: "x".repeat(5000),
    });
    assert.equal((await post(mock, big)).status, 413);
    const chunked = await fetch(`${mock.url}${big.path}`, {
      method: "POST",
      headers: big.headers,
      body: new ReadableStream({
        start: (c) => {
          c.enqueue(new TextEncoder().encode(big.body));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413, "a body without content-length is cut at the limit too");

    const anomalies: Array<[string, number, number]> = [
      ["other-run", 0, 0], // event of another run
      ["bad1", 1, 0], // seq 1 belongs to tenant 1, not destination 0's tenant
      ["bad1", 0, 9], // destination out of range
    ];
    for (const [idRun, seq, d] of anomalies) {
      const r = await post(mock, {
        ...outpostDelivery({ testId: "bad1", seq, destination: d, secrets: [secretOf(0)] }),
        headers: { ...ok.headers, "x-outpost-event-id": eventId(idRun, { name: "" }, seq) },
      });
      assert.equal(r.status, 200);
    }
    assert.equal((await deliver(mock, "nosuchrun", 0, 0)).status, 200);
    assert.deepEqual(await store.counters(store.keys.anomalies), {
      "unknown:bad_event_id": 1,
      "unknown:wrong_tenant": 1,
      "unknown:destination_out_of_range": 1,
    });
    assert.equal(await metric(mock, "mock_webhook_anomalies_total", { reason: "no_run_record" }), 1);
  });
});
