import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeHttpPort } from "../../adapters/node/http";
import { ConfigError, type Env } from "../../src/config/env";
import { readThroughputSettings, type ThroughputSettings } from "../../src/config/throughput-settings";
import { OutpostClient } from "../../src/outpost/client";
import { createPayloadFactory } from "../../src/publish/payload";
import { preflight } from "../../src/publish/preflight";
import { provisionRun } from "../../src/publish/provision";
import {
  errorKind,
  type EventOutcome,
  type EventTiming,
  eventOutcome,
  eventRequest,
  type PublishDeps,
  type PublishRun,
  publishRunOf,
} from "../../src/publish/publish-event";
import { PublishLog } from "../../src/publish/publish-log";
import type { Clock } from "../../src/ports";
import { eventId, tenantId, tenantOfSeq } from "../../src/runstate/identity";
import type { RunRecord } from "../../src/runstate/record";
import { assessRunStateRedis } from "../../src/runstate/redis-fitness";
import { RunStateStore } from "../../src/runstate/store";
import { FAKE_NOTICE, type OutpostFake, startOutpostFake } from "../support/outpost-fake";
import { connectRedis, freePort, startRedis, withRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";

class StepClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

// Provisioning and the per-event publish step of src/, through the Node
// adapters, against a real redis-server and the Outpost fake.
describe("throughput provisioning and publishing against a real redis-server", () => {
  const live = withRedis();
  let outpost: OutpostFake;
  const http = new NodeHttpPort();

  // An iteration as scenarios/throughput.ts runs it, with the Node adapter's
  // request in place of k6's blocking one; the outcome goes to the VU's log.
  async function publishInto(
    log: PublishLog,
    deps: PublishDeps,
    run: PublishRun,
    seq: number,
    timing: EventTiming,
    clock: Clock,
  ): Promise<EventOutcome> {
    const profile = run.profiles[0];
    const res = await http.request(eventRequest(deps, run, profile, seq, timing));
    const outcome = eventOutcome(run, profile, seq, timing, res, clock.now());
    log.add(outcome.record, clock.now(), false);
    return outcome;
  }
  before(async () => {
    outpost = await startOutpostFake({ apiKey: KEY });
  });
  after(async () => {
    await outpost?.stop();
  });

  function settings(env: Env = {}): ThroughputSettings {
    return readThroughputSettings({
      OUTPOST_URL: outpost.url,
      OUTPOST_API_KEY: KEY,
      REDIS_URL: live.server.url,
      MOCK_URL: "http://mock.test:48080",
      TENANTS: "3",
      DESTINATIONS_PER_TENANT: "2",
      WARMUP: "1s",
      ...env,
    });
  }

  async function provision(
    testId: string,
    s: ThroughputSettings,
    clock = new StepClock(1_700_000_000_000),
  ): Promise<{ record: RunRecord; created: boolean; store: RunStateStore }> {
    const store = new RunStateStore(live.redis, testId, s.runTtlSeconds);
    const outpostClient = new OutpostClient(http, s.outpostUrl, s.outpostApiKey);
    return { ...(await provisionRun({ outpost: outpostClient, store, clock }, s, testId)), store };
  }

  it("provisions T x D destinations at the mock URL, once, and writes the run record", async () => {
    const s = settings();
    const { record, created, store } = await provision("prov1", s);
    assert.equal(created, true);
    assert.deepEqual(record.tenants, ["prov1-t0", "prov1-t1", "prov1-t2"]);
    assert.equal(record.destinations.length, 6);
    assert.deepEqual(record.target, { fake: FAKE_NOTICE });
    for (const d of record.destinations) {
      const inOutpost = outpost.destination(tenantId("prov1", record.profiles[0], d.tenant), d.id);
      assert.ok(inOutpost, d.id);
      assert.deepEqual(
        [inOutpost.tenantId, inOutpost.url, inOutpost.secret, inOutpost.topics],
        [
          tenantId("prov1", record.profiles[0], d.tenant),
          `http://mock.test:48080/webhook/prov1/${d.index}`,
          d.secret,
          ["loadtest.event"],
        ],
      );
    }
    assert.deepEqual(
      record.destinations.map((d) => [d.index, d.tenant, d.id]),
      [0, 1, 2, 3, 4, 5].map((i) => [i, Math.floor(i / 2), `prov1-d${i}`]),
    );
    assert.deepEqual([record.startedAtMs, record.warmupEndsAtMs], [1_700_000_000_000, 1_700_000_001_000]);
    // RATE 10/s for DURATION 30s (the defaults): the plan verify compares publish attempts with.
    assert.equal(record.plannedEvents, 300);
    assert.ok(!JSON.stringify(record.settings).includes(KEY));
    assert.deepEqual(await store.loadRunRecord(), record);
  });

  it("lets a second runner join the run without provisioning again", async () => {
    const s = settings();
    const first = await provision("prov2", s);
    const creates = outpost.calls.get("POST /api/v1/tenants/:t/destinations");
    const second = await provision("prov2", s, new StepClock(1_800_000_000_000));
    assert.equal(second.created, false);
    assert.deepEqual(second.record, first.record);
    assert.equal(outpost.calls.get("POST /api/v1/tenants/:t/destinations"), creates);
  });

  it("gives runners provisioning at the same moment one record with the same secrets", async () => {
    const s = settings();
    const runs = await Promise.all([1, 2, 3].map((i) => provision("prov4", s, new StepClock(1_700_000_000_000 + i))));
    assert.deepEqual(runs.map((r) => r.created).sort(), [false, false, true]);
    for (const r of runs) assert.deepEqual(r.record, runs[0].record);
    for (const d of runs[0].record.destinations)
      assert.equal(
        outpost.destination(tenantId("prov4", runs[0].record.profiles[0], d.tenant), d.id)?.secret,
        d.secret,
      );
  });

  it("refuses a TEST_ID that holds another shape or an ended run", async () => {
    await provision("prov3", settings());
    await assert.rejects(
      provision("prov3", settings({ TENANTS: "4" })),
      (e: Error) =>
        e instanceof ConfigError &&
        /^TEST_ID="prov3" is invalid: expected a new TEST_ID: this one already holds a run with TENANTS=3,/.test(
          e.message,
        ),
    );
    const { store } = await provision("prov3", settings());
    await store.markRunEnded(1_700_000_100_000);
    await assert.rejects(
      provision("prov3", settings()),
      (e: Error) =>
        e instanceof ConfigError && /^TEST_ID="prov3" is invalid: .*this run has already ended$/.test(e.message),
    );
  });

  it("preflight fails on an unreachable mock before any load", async () => {
    const client = new OutpostClient(http, outpost.url, KEY);
    const targets = { outpost: client, http, probeTenantId: "x", redis: live.redis, redisUrl: live.server.url };
    await assert.rejects(
      preflight({ ...targets, mockUrl: `http://127.0.0.1:${await freePort()}` }),
      /mock webhook at .* is not healthy .*check MOCK_URL/,
    );
  });

  it("refuses a run-state Redis that may evict keys, and warns about one without persistence", async () => {
    const server = await startRedis();
    const redis = await connectRedis(server);
    const dir = mkdtempSync(join(tmpdir(), "olt-aof-"));
    const aofServer = await startRedis(["--dir", dir, "--appendonly", "yes"]);
    const aofRedis = await connectRedis(aofServer);
    const shown = `redis://***@127.0.0.1:${server.port}`;
    try {
      // The test servers run with --save "" --appendonly no.
      assert.deepEqual(await assessRunStateRedis(redis, shown), {
        refusal: null,
        warning: `REDIS_URL=${shown} has no persistence (appendonly no, no RDB save points): a Redis restart during or after the run loses its state and voids it; run the run-state Redis with appendonly yes`,
      });
      await redis.command(["CONFIG", "SET", "save", "3600 1"]);
      assert.deepEqual(await assessRunStateRedis(redis, shown), { refusal: null, warning: null });
      await redis.command(["CONFIG", "SET", "save", ""]);
      assert.deepEqual(await assessRunStateRedis(aofRedis, shown), { refusal: null, warning: null });
      // A policy alone evicts nothing while maxmemory is 0.
      await redis.command(["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]);
      assert.equal((await assessRunStateRedis(redis, shown)).refusal, null);
      await redis.command(["CONFIG", "SET", "maxmemory", "104857600"]);
      assert.equal(
        (await assessRunStateRedis(redis, shown)).refusal,
        `REDIS_URL=${shown} may evict this run's keys (maxmemory 104857600 bytes, maxmemory-policy volatile-lru), which would void the run: use a Redis with maxmemory-policy noeviction (or maxmemory 0) for the run state`,
      );
    } finally {
      await redis.close();
      await server.stop();
      await aofRedis.close();
      await aofServer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("publishes with the run's ids and records accepted, rejected, duplicate and destinations left out of the answer", async () => {
    const s = settings({ PAYLOAD_BYTES: "300" });
    const { record, store } = await provision("pub1", s);
    const run = publishRunOf(record);
    const clock = new StepClock(record.startedAtMs + 5000);
    const deps: PublishDeps = {
      outpost: new OutpostClient(http, s.outpostUrl, KEY),
      payload: (_profile, seq) => createPayloadFactory(s.profiles[0].payloadBytes, "2025-01-01T00:00:00Z")(seq),
    };
    // Limits no test reaches: the outcomes stay in the log until flushed.
    const log = new PublishLog(store, run, run.profiles[0], { maxEvents: 1000, maxAgeMs: 3_600_000 });
    outpost.failPublish.set(eventId("pub1", { name: "" }, 4), 500);
    outpost.failPublish.set(eventId("pub1", { name: "" }, 5), 409);
    // Tenant 2's second destination goes dark: Outpost routes its events to one destination only.
    const outcomes: EventOutcome[] = [];
    for (let seq = 0; seq < 12; seq++) {
      if (seq === 9) outpost.setDestinationDisabled("pub1-t2", "pub1-d5", true);
      const t0 = clock.ms;
      clock.ms += 3;
      // Due at t0, started 1 ms late (generator lag), acknowledged 2 ms later.
      outcomes.push(await publishInto(log, deps, run, seq, { scheduledMs: t0, startedMs: t0 + 1 }, clock));
    }
    // Publishing seq 0 again: Outpost says duplicate.
    outcomes.push(await publishInto(log, deps, run, 0, { scheduledMs: null, startedMs: clock.ms }, clock));
    // Kept in the VU, not written yet: the run state has no publish at all.
    assert.equal(log.size, 13);
    assert.deepEqual(await store.publishCounters(record.profiles), {});
    assert.deepEqual(await store.progress(record), { expected: 0, delivered: 0 });
    await log.flush();
    assert.equal(log.size, 0);

    assert.deepEqual(
      outcomes.map((o) => o.verdict),
      [
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "rejected",
        "rejected",
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "accepted",
        "duplicate",
      ],
    );
    assert.deepEqual(
      outcomes.flatMap((o, i) => (o.routingMismatch ? [i] : [])),
      [11],
    );
    assert.equal(outcomes[0].latencyMs, 2);
    assert.deepEqual(await store.publishCounters(record.profiles), {
      accepted: 10,
      "rejected:500": 1,
      "rejected:409": 1,
      duplicate: 1,
    });
    // Every accepted event has its generator lag (1 ms) and its publish stage from the iteration's start (2 ms).
    const stages = await store.stageHistograms(record.profiles[0]);
    assert.deepEqual(
      [stages.generator_lag.count, stages.generator_lag.minUs, stages.generator_lag.maxUs, stages.publish.maxUs],
      [10, 1000, 1000, 2000],
    );
    // seq 11 (tenant 2) was not routed to destination 5: 19 deliveries expected, not 20.
    assert.deepEqual(await store.progress(record), { expected: 19, delivered: 0 });
    const snapshot = await store.snapshot(record, 10, () => 11);
    assert.deepEqual(
      snapshot.destinations.map((d) => d.notRouted),
      [0, 0, 0, 0, 0, 1],
    );
    assert.deepEqual(snapshot.routing, { "first:5": clock.ms, "last:5": clock.ms });

    for (const ev of outpost.published.filter((p) => p.id.startsWith("pub1_"))) {
      const seq = Number(ev.id.split("_")[1]);
      assert.equal(ev.tenant_id, `pub1-t${tenantOfSeq(record.profiles[0], seq)}`);
      assert.equal(ev.topic, "loadtest.event");
      assert.equal(ev.eligible_for_retry, false);
      assert.match(ev.metadata["lt-t0"], /^\d{13}\.000$/);
      assert.equal(JSON.stringify(ev.data).length, 300);
    }
    assert.equal(snapshot.tenants[1].accepted, 3); // seq 1, 7, 10 (seq 4 was rejected)
  });

  it("records a publish with no answer as error:<kind>", async () => {
    const s = settings();
    const { record, store } = await provision("pub2", s);
    const down = new OutpostClient(http, `http://127.0.0.1:${await freePort()}`, KEY);
    const deps: PublishDeps = { outpost: down, payload: (_profile, seq) => createPayloadFactory(100, "x")(seq) };
    const run = publishRunOf(record);
    const log = new PublishLog(store, run, run.profiles[0]);
    const timing = { scheduledMs: record.startedAtMs, startedMs: record.startedAtMs };
    const o = await publishInto(log, deps, run, 0, timing, new StepClock(record.startedAtMs));
    await log.flush();
    assert.deepEqual([o.verdict, o.reason], ["error", "error:refused"]);
    assert.deepEqual(await store.publishCounters(record.profiles), { "error:refused": 1 });
  });

  it("names transport failures with a small fixed set of kinds", () => {
    assert.deepEqual(
      [
        "request timeout (k6 error 1050)",
        "timeout: The operation was aborted",
        "dial tcp: connect: connection refused",
        "read: connection reset by peer",
        "lookup x: no such host",
        "weird",
      ].map(errorKind),
      ["timeout", "timeout", "refused", "reset", "dns", "network"],
    );
  });
});
