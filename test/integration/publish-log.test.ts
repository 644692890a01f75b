import { strict as assert } from "node:assert";
import type { ConstantArrivalRate, RampingArrivalRate } from "../../src/publish/load-profile";
import {
  HOLD_MARGIN_MS,
  holdOffsetMs,
  mayBeLastIteration,
  PublishLog,
  RunStateWriteError,
  runStateLostLine,
} from "../../src/publish/publish-log";
import { arrivalOffsetMs } from "../../src/publish/schedule";
import type { PublishRecord } from "../../src/runstate/store";
import { RunStateStore } from "../../src/runstate/store";
import { connectRedis, startRedis, withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";

const accepted = (seq: number, t2Ms: number): PublishRecord => ({
  kind: "accepted",
  seq,
  t0Ms: t2Ms - 3,
  startedMs: t2Ms - 2,
  t2Ms,
});

// The publish log of one k6 VU (src/publish/publish-log.ts) against a real redis-server.
describe("publish log: a VU keeps its publish outcomes and writes them in one call", () => {
  const live = withRedis();

  async function scriptCalls(): Promise<number> {
    const stats = String(await live.redis.command(["INFO", "commandstats"]));
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  }

  async function newRun(testId: string): Promise<{ store: RunStateStore; rec: ReturnType<typeof testRunRecord> }> {
    const rec = testRunRecord(testId, 2, 1);
    const store = new RunStateStore(live.redis, testId);
    await store.createRunRecord(rec);
    return { store, rec };
  }

  it("keeps outcomes until maxEvents, then writes them all in one script call", async () => {
    const { store, rec } = await newRun("log1");
    const log = new PublishLog(store, rec, rec.profiles[0], { maxEvents: 3, maxAgeMs: 60_000 });
    const t = rec.startedAtMs + 1000;
    assert.equal(log.add(accepted(0, t), t, false), false);
    assert.equal(log.add({ kind: "not_accepted", seq: 1, reason: "rejected:503" }, t, false), false);
    assert.deepEqual(await store.publishCounters(rec.profiles), {}, "nothing written while kept");
    assert.equal(log.add(accepted(2, t), t, false), true, "the third reaches maxEvents");
    const before = await scriptCalls();
    await log.flush();
    assert.equal((await scriptCalls()) - before, 1);
    assert.equal(log.size, 0);
    assert.deepEqual(await store.publishCounters(rec.profiles), { accepted: 2, "rejected:503": 1 });
    const snap = await store.snapshot(rec, 10, () => 1);
    assert.deepEqual(
      snap.tenants.map((x) => [x.accepted, x.rejected]),
      [
        [2, 0],
        [0, 1],
      ],
    );
    const after = await scriptCalls();
    await log.flush();
    assert.equal(await scriptCalls(), after, "an empty log writes nothing");
  });

  it("asks for a write when its oldest outcome is maxAgeMs old at the next add, or when the VU may not run again", async () => {
    const { store, rec } = await newRun("log2");
    const log = new PublishLog(store, rec, rec.profiles[0], { maxEvents: 100, maxAgeMs: 1000 });
    const t = rec.startedAtMs + 1000;
    assert.equal(log.add(accepted(0, t), t, false), false);
    assert.equal(log.add(accepted(2, t + 999), t + 999, false), false);
    assert.equal(log.add(accepted(4, t + 1000), t + 1000, false), true);
    await log.flush();
    // After a write the age counts from the next outcome kept.
    assert.equal(log.add(accepted(6, t + 1500), t + 1500, false), false);
    assert.equal(log.add(accepted(8, t + 1501), t + 1501, true), true, "last: write before the iteration ends");
    await log.flush();
    assert.equal((await store.publishCounters(rec.profiles)).accepted, 5);
  });

  it("writes a batch's counters, timeline and latencies as the per-event writes did, and counts a repeat as accepted_again", async () => {
    const { store, rec } = await newRun("log3");
    const log = new PublishLog(store, rec, rec.profiles[0], { maxEvents: 100, maxAgeMs: 60_000 });
    const t = rec.startedAtMs + 2000;
    // Event 1 has no scheduled t0 (its iteration start is t0: no generator lag); event 3 is
    // accepted without tenant 1's destination in the answer; event 0 comes twice.
    log.add({ kind: "accepted", seq: 0, t0Ms: t - 10, startedMs: t - 4, t2Ms: t }, t, false);
    log.add({ kind: "accepted", seq: 1, t0Ms: t - 6, t2Ms: t + 1000, counters: ["t0_unscheduled"] }, t, false);
    log.add({ kind: "accepted", seq: 3, t0Ms: t, startedMs: t, t2Ms: t + 1500, routed: [false] }, t, false);
    log.add({ kind: "not_accepted", seq: 5, reason: "duplicate" }, t, false);
    log.add({ kind: "accepted", seq: 0, t0Ms: t - 10, startedMs: t - 4, t2Ms: t }, t, false);
    // Event 7 is due in the run's second latency window (10 s each): the batch spans two.
    const later = rec.startedAtMs + 10_500;
    log.add({ kind: "accepted", seq: 7, t0Ms: later, startedMs: later, t2Ms: later + 2 }, t, false);
    await log.flush();
    assert.deepEqual(await store.publishCounters(rec.profiles), {
      accepted: 4,
      accepted_again: 1,
      duplicate: 1,
      t0_unscheduled: 1,
    });
    const second = Math.floor(t / 1000);
    assert.deepEqual(await store.publishTimeline(0), [
      [second, 1],
      [second + 1, 2],
      [Math.floor((later + 2) / 1000), 1],
    ]);
    const stages = await store.stageHistograms(rec.profiles[0]);
    // publish: 2 ms, 4 ms, 1006 ms (from t0: unscheduled), 1500 ms; generator lag: 6 ms, 0 and 0.
    assert.deepEqual([stages.publish.count, stages.publish.minUs, stages.publish.maxUs], [4, 2000, 1_500_000]);
    assert.deepEqual(
      [stages.generator_lag.count, stages.generator_lag.minUs, stages.generator_lag.maxUs],
      [3, 0, 6000],
    );
    // Each sample also counts in the latency window of its t0.
    const windows = await store.latencyWindowHistograms(1);
    assert.deepEqual(
      [0, 1].map((w) => [windows.get(w)?.publish.count, windows.get(w)?.generator_lag.count]),
      [
        [3, 2],
        [1, 1],
      ],
    );
    const snap = await store.snapshot(rec, 10, () => 1);
    assert.deepEqual(
      snap.destinations.map((d) => d.notRouted),
      [0, 1],
    );
    assert.deepEqual(snap.routing, { "first:1": t + 1500, "last:1": t + 1500 });
  });

  it("a failed write names the events it lost and keeps none of them", async () => {
    const own = await startRedis();
    const redis = await connectRedis(own);
    const rec = testRunRecord("log4", 1, 1);
    const store = new RunStateStore(redis, rec.testId);
    await store.createRunRecord(rec);
    const log = new PublishLog(store, rec, rec.profiles[0], { maxEvents: 100, maxAgeMs: 60_000 });
    log.add(accepted(7, rec.startedAtMs + 10), rec.startedAtMs + 10, false);
    log.add(accepted(8, rec.startedAtMs + 11), rec.startedAtMs + 11, false);
    // Redis gone and the connection with it (a reconnecting client would wait for it first).
    await own.stop();
    await redis.client.disconnect().catch(() => undefined);
    await assert.rejects(log.flush(), (err: unknown) => {
      assert.ok(err instanceof RunStateWriteError);
      assert.equal(err.events, "the publishes of log4_7 and 1 more");
      assert.equal(err.unavailable, true);
      assert.match(
        runStateLostLine(err, own.url),
        new RegExp(
          `^run state lost: recording the publishes of log4_7 and 1 more failed: REDIS_URL=redis://127\\.0\\.0\\.1:${own.port} is unreachable .*; this run is void, stopping the test \\(no further publish starts\\)$`,
        ),
      );
      return true;
    });
    assert.equal(log.size, 0);
  });
});

describe("publish log: when a VU may keep outcomes for a later iteration of its own", () => {
  const base = { timeUnit: "1s" as const, preAllocatedVUs: 10, maxVUs: 10, gracefulStop: "30s" };

  it("until the slot of the iteration that still has as many after it as there are VUs", () => {
    const s: ConstantArrivalRate = { ...base, executor: "constant-arrival-rate", rate: 100, duration: "10s" };
    // 1000 events: from event 989 on fewer than 10 follow, so a VU may not run again.
    assert.equal(holdOffsetMs(s, 10), 9890);
    assert.equal(holdOffsetMs(s, 100), 8990);
    assert.equal(holdOffsetMs(s, 999), 0);
    assert.equal(holdOffsetMs(s, 5000), -Infinity);
    const ramp: RampingArrivalRate = {
      ...base,
      executor: "ramping-arrival-rate",
      startRate: 0,
      stages: [{ duration: "10s", target: 100 }],
    };
    // 500 events on the ramp: the 489th's slot.
    assert.equal(holdOffsetMs(ramp, 10), arrivalOffsetMs(ramp, 489));
  });

  it("keeps while the VU is more than HOLD_MARGIN_MS before that point, writes every time from there", () => {
    const start = 1_700_000_000_000;
    assert.equal(mayBeLastIteration(9890, start, start + 9890 - HOLD_MARGIN_MS - 1), false);
    assert.equal(mayBeLastIteration(9890, start, start + 9890 - HOLD_MARGIN_MS), true);
    assert.equal(mayBeLastIteration(9890, start, start + 20_000), true);
    assert.equal(mayBeLastIteration(-Infinity, start, start), true);
  });
});
