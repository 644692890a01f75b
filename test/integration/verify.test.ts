import { strict as assert } from "node:assert";
import { readVerifySettings, type VerifySettings } from "../../src/config/verify-settings";
import type { Clock } from "../../src/ports";
import { RELATIVE_PRECISION } from "../../src/runstate/histogram";
import type { RunRecord } from "../../src/runstate/record";
import { RunStateStore } from "../../src/runstate/store";
import type { VerifyReport } from "../../src/verify/report";
import { renderText } from "../../src/verify/render-text";
import { isLostRun } from "../../src/verify/report";
import { RunNotFoundError, runVerification as runVerificationAnyOutcome } from "../../src/verify/run-verification";
import { verifiedReport as runVerification } from "../support/verify-result";
import type { Sleep } from "../../src/verify/wait-for-deliveries";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { publishAndDeliver as script, type Timing } from "../support/scripted-run";

// A clock that only moves when verify sleeps; each sleep may first let a
// scripted "world" write receipts, as the mock would meanwhile.
function simulatedTime(
  start: number,
  world: (nowMs: number) => Promise<void> = async () => undefined,
): { clock: Clock; sleep: Sleep; sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      await world(now);
    },
    sleeps,
  };
}

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

function assertPercentiles(name: string, got: VerifyReport["latency"]["stages"]["e2e"], samplesMs: number[]): void {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  assert.equal(got.count, sorted.length, `${name} count`);
  const pairs: Array<[number | null, number]> = [
    [got.p50Ms, 50],
    [got.p90Ms, 90],
    [got.p95Ms, 95],
    [got.p99Ms, 99],
    [got.maxMs, 100],
  ];
  for (const [v, p] of pairs) {
    const exact = nearestRank(sorted, p);
    assert.ok(
      v !== null && Math.abs(v - exact) <= exact * RELATIVE_PRECISION + 1,
      `${name} p${p}: ${v} vs exact ${exact}`,
    );
  }
}

describe("verify against a real redis-server", () => {
  const live = withRedis();

  const settingsFor = (rec: RunRecord, env: Record<string, string> = {}): VerifySettings =>
    readVerifySettings({
      TEST_ID: rec.testId,
      REDIS_URL: live.server.url,
      VERIFY_GRACE: "3s",
      VERIFY_TIMEOUT: "5s",
      VERIFY_LIST_MISSING: "10",
      ...env,
    });

  async function create(rec: RunRecord): Promise<RunStateStore> {
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    return store;
  }

  // Varied latencies so percentiles differ from each other.
  const varied = (seq: number, d: number): Timing => ({
    publishMs: 2 + (seq % 13) * 3,
    queueMs: 5 + ((seq * 7) % 40),
    deliveryMs: 1 + ((seq * 11 + d) % 200),
  });
  const publishAndDeliver = (
    store: RunStateStore,
    rec: RunRecord,
    n: number,
    skip?: (seq: number, d: number) => boolean,
    opts: { open?: boolean } = {},
  ) => script(store, rec, n, { skip, timing: varied, ...opts });

  it("reports the exact ledger, missing ids, faults and per-stage percentiles of a scripted run", async () => {
    // 3 tenants x 2 destinations; the first 100 ms of t0 (seq < 10) are warm-up.
    const rec = testRunRecord("full", 3, 2, { warmupEndsAtMs: 1_700_000_000_100, plannedEvents: 305 });
    const store = await create(rec);
    // Lost: seq 30 at d0 (tenant 0), seq 31 at d2 and d3 (tenant 1). Fault without
    // retry: seq 44 at d5 (tenant 2). Fault then delivered: seq 47 at d4.
    const lost = new Set(["30:0", "31:2", "31:3", "44:5"]);
    const samples = await publishAndDeliver(store, rec, 300, (seq, d) => lost.has(`${seq}:${d}`));
    await store.recordFault(rec, 5, 44, "500", "ok");
    await store.recordFault(rec, 4, 47, "timeout", "ok");
    // Duplicates: seq 41 twice more at d4. Publish failures recorded as throughput does.
    for (let i = 0; i < 2; i++)
      assert.equal(
        await store.recordReceipt(rec, { destination: 4, seq: 41, t3Ms: rec.startedAtMs + 999, signature: "ok" }),
        false,
      );
    await store.recordPublishNotAccepted(rec, rec.profiles[0], 300, "rejected:500");
    await store.recordPublishNotAccepted(rec, rec.profiles[0], 301, "error:timeout");
    await store.recordPublishNotAccepted(rec, rec.profiles[0], 302, "duplicate");
    // Outpost delivered 301 although the publish timed out at k6 (tenant 1).
    await store.recordReceipt(rec, { destination: 2, seq: 301, t3Ms: rec.startedAtMs + 5000, signature: "ok" });
    await store.markRunEnded(rec.startedAtMs + 3100);

    const time = simulatedTime(rec.startedAtMs + 10_000);
    const r = await runVerification(store, settingsFor(rec), time.clock, time.sleep);

    assert.deepEqual(
      r.ledger.destinations.map((d) => [
        d.accepted,
        d.delivered,
        d.missing,
        d.missingAfterFault,
        d.inFlight,
        d.duplicates,
        d.unknown,
        d.deliveredUnacknowledged,
        d.faultedEvents,
      ]),
      [
        [100, 99, 1, 0, 0, 0, 0, 0, 0],
        [100, 100, 0, 0, 0, 0, 0, 0, 0],
        [100, 99, 1, 0, 0, 0, 0, 1, 0],
        [100, 99, 1, 0, 0, 0, 0, 0, 0],
        [100, 100, 0, 0, 0, 2, 0, 0, 1],
        [100, 99, 1, 1, 0, 0, 0, 0, 1],
      ],
    );
    assert.deepEqual(r.ledger.voidReasons, []);
    assert.deepEqual(r.ledger.missingIds, [
      { eventId: "full_30", destination: 0 },
      { eventId: "full_31", destination: 2 },
      { eventId: "full_31", destination: 3 },
    ]);
    assert.deepEqual(r.ledger.missingAfterFaultIds, [{ eventId: "full_44", destination: 5 }]);
    assert.deepEqual(r.ledger.totals.faults, { "500": 1, timeout: 1 });
    assert.deepEqual(r.publish, {
      accepted: 300,
      duplicate: 1,
      rejected: { "500": 1 },
      errors: { timeout: 1 },
      notAccepted: 3,
      failed: 2,
      unscheduled: 0,
      attempted: 303,
      planned: 305,
      schedules: 1,
      other: {},
    });
    assert.equal(r.ledger.deliveredRatio, 596 / 600);
    assert.deepEqual(r.verdict.reasons, [
      "2 of 303 publishes (0.660%) refused, failed or timed out: HTTP 500 1, timeout 1; about 2 of 305 planned publishes (0.656%) never made: k6 dropped their iterations or, running late, ended the scenario before starting them (see its dropped_iterations; PRE_ALLOCATED_VUS, or more than the target sustains); at most 0 allowed (VERIFY_MAX_PUBLISH_ERRORS)",
      "delivered 596 of 600 expected deliveries (99.333%, required >= 100.000%): 4 missing, 0 in flight, 1 of the missing after an injected fault on every attempt",
    ]);
    assert.equal(r.verdict.void, false);
    // 597 first deliveries (incl. the unacknowledged one) of 600 expected: the wait ends on grace.
    assert.deepEqual({ outcome: r.wait.outcome, waited: r.wait.waitedMs }, { outcome: "grace", waited: 3000 });
    assert.equal(r.runEnd.endedAtMs, rec.startedAtMs + 3100);

    for (const stage of ["publish", "queue", "delivery", "e2e"] as const)
      assertPercentiles(stage, r.latency.stages[stage], samples[stage]);
    // Warm-up: seq 0..9 are in the ledger but not in the latency samples.
    assert.equal(r.latency.stages.publish.count, 290);

    assert.equal(
      r.timeline.reduce((s, p) => s + p.published, 0),
      300,
    );
    assert.equal(
      r.timeline.reduce((s, p) => s + p.delivered, 0),
      597,
    );
    assert.equal(r.throughput.delivered?.events, 597);
    assert.ok(!JSON.stringify(r).includes("whsec_"));
  });

  it("makes a run with unknown receipts and unplaceable deliveries void, and says why", async () => {
    const rec = testRunRecord("void", 2, 1);
    const store = await create(rec);
    await publishAndDeliver(store, rec, 20);
    await store.recordReceipt(rec, { destination: 1, seq: 1001, t3Ms: rec.startedAtMs + 500, signature: "ok" });
    await store.recordAnomaly("unknown:destination");
    const time = simulatedTime(rec.startedAtMs);
    const r = await runVerification(
      store,
      settingsFor(rec, { VERIFY_MIN_DELIVERED_RATIO: "0" }),
      time.clock,
      time.sleep,
    );
    assert.equal(r.verdict.void, true);
    assert.equal(r.verdict.pass, false);
    assert.deepEqual(r.ledger.voidReasons, [
      "destination 1: 1 receipt(s) for event ids this run never published",
      "1 receipt(s) the mock could not place (unknown:destination)",
    ]);
    assert.equal(r.ledger.destinations[1].accepted, r.ledger.destinations[1].delivered);
  });

  it("with RETRY, counts a faulted-then-delivered event as delivered and an unretried one as in flight", async () => {
    const rec = testRunRecord("retry", 1, 2, { retry: true });
    const store = await create(rec);
    await publishAndDeliver(store, rec, 50, (seq, d) => seq === 12 && d === 1);
    await store.recordFault(rec, 0, 7, "500", "ok");
    await store.recordFault(rec, 0, 7, "500", "ok");
    await store.recordFault(rec, 1, 12, "500", "ok");
    const time = simulatedTime(rec.startedAtMs);
    const r = await runVerification(store, settingsFor(rec, { VERIFY_GRACE: "0s" }), time.clock, time.sleep);
    const t = r.ledger.totals;
    assert.deepEqual(
      { acc: t.accepted, del: t.delivered, miss: t.missing, fl: t.inFlight, ev: t.faultedEvents, faults: t.faults },
      { acc: 100, del: 99, miss: 0, fl: 1, ev: 2, faults: { "500": 3 } },
    );
    assert.deepEqual(r.ledger.inFlightIds, [{ eventId: "retry_12", destination: 1 }]);
    assert.deepEqual(r.ledger.voidReasons, []);
    assert.match(r.verdict.reasons[0], /1 in flight/);
  });

  describe("wait loop", () => {
    it("stops at once when every expected delivery is there", async () => {
      const rec = testRunRecord("w-done", 2, 2);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 40);
      const time = simulatedTime(0);
      const r = await runVerification(store, settingsFor(rec), time.clock, time.sleep);
      assert.deepEqual({ ...r.wait }, { outcome: "complete", expected: 80, delivered: 80, waitedMs: 0, polls: 1 });
      assert.equal(r.verdict.pass, true, r.verdict.reasons.join("; "));
    });

    it("does not call a run complete before throughput recorded its end, even with everything so far delivered", async () => {
      const rec = testRunRecord("w-open", 1, 2);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 10, undefined, { open: true });
      // Verified well after the planned end + grace: no end was ever recorded.
      const late = simulatedTime(rec.plannedEndMs + 60_000);
      const r = await runVerification(store, settingsFor(rec, { VERIFY_GRACE: "2s" }), late.clock, late.sleep);
      assert.deepEqual({ outcome: r.wait.outcome, waited: r.wait.waitedMs }, { outcome: "grace", waited: 2000 });
      assert.equal(r.verdict.headline, "INCOMPLETE (cut short or crashed)");
      assert.equal(r.outcome, "INCOMPLETE");
      // Before the planned end + grace the same state is a run in progress.
      const early = simulatedTime(rec.plannedEndMs - 5_000);
      const e = await runVerification(store, settingsFor(rec, { VERIFY_TIMEOUT: "0s" }), early.clock, early.sleep);
      assert.equal(e.verdict.headline, "INCOMPLETE (run in progress)");
      // Once the end is recorded, the wait completes at once.
      await store.markRunEnded(rec.plannedEndMs);
      const done = await runVerification(store, settingsFor(rec), late.clock, late.sleep);
      assert.deepEqual(
        { outcome: done.wait.outcome, verdict: done.verdict.headline },
        { outcome: "complete", verdict: "PASS" },
      );
    });

    it("keeps waiting while deliveries trickle in, then completes; one poll per interval", async () => {
      const rec = testRunRecord("w-trickle", 1, 1, { warmupEndsAtMs: 0 });
      const store = await create(rec);
      const late = [3, 9, 17];
      await publishAndDeliver(store, rec, 20, (seq) => late.includes(seq));
      // One late delivery every 2.5 s: under the 3 s grace each time.
      const time = simulatedTime(0, async (now) => {
        if (now % 2500 === 0 && late.length > 0)
          await store.recordReceipt(rec, {
            destination: 0,
            seq: late.shift() as number,
            t3Ms: rec.startedAtMs + now,
            signature: "ok",
          });
      });
      const r = await runVerification(
        store,
        settingsFor(rec, { VERIFY_POLL_INTERVAL: "500ms", VERIFY_TIMEOUT: "1m" }),
        time.clock,
        time.sleep,
      );
      assert.deepEqual(
        { outcome: r.wait.outcome, waited: r.wait.waitedMs, polls: r.wait.polls },
        { outcome: "complete", waited: 7500, polls: 16 },
      );
      assert.ok(time.sleeps.every((ms) => ms === 500));
      assert.equal(r.ledger.totals.missing, 0);
    });

    it("gives up after VERIFY_GRACE without news, reporting what is missing", async () => {
      const rec = testRunRecord("w-grace", 1, 1);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 10, (seq) => seq === 4);
      const time = simulatedTime(0);
      const r = await runVerification(store, settingsFor(rec, { VERIFY_GRACE: "2500ms" }), time.clock, time.sleep);
      assert.deepEqual(
        { outcome: r.wait.outcome, waited: r.wait.waitedMs, sleeps: time.sleeps },
        { outcome: "grace", waited: 2500, sleeps: [1000, 1000, 500] },
      );
      assert.deepEqual(r.ledger.missingIds, [{ eventId: "w-grace_4", destination: 0 }]);
    });

    it("stops at VERIFY_TIMEOUT while deliveries keep arriving", async () => {
      const rec = testRunRecord("w-timeout", 1, 1);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 100, (seq) => seq >= 10);
      let next = 10;
      const time = simulatedTime(0, async (now) => {
        await store.recordReceipt(rec, { destination: 0, seq: next++, t3Ms: rec.startedAtMs + now, signature: "ok" });
      });
      const r = await runVerification(store, settingsFor(rec, { VERIFY_TIMEOUT: "4s" }), time.clock, time.sleep);
      assert.deepEqual(
        { outcome: r.wait.outcome, waited: r.wait.waitedMs, delivered: r.wait.delivered },
        { outcome: "timeout", waited: 4000, delivered: 14 },
      );
      assert.equal(r.ledger.totals.missing, 86);
      assert.equal(r.ledger.missingIds.length, 10);
    });

    it("waits in real time with a short grace while a writer delivers concurrently", async () => {
      const rec = testRunRecord("w-real", 1, 1);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 5, (seq) => seq === 2);
      const writer = new Promise<void>((resolve) =>
        setTimeout(() => {
          void store
            .recordReceipt(rec, { destination: 0, seq: 2, t3Ms: rec.startedAtMs + 60, signature: "ok" })
            .then(() => resolve());
        }, 250),
      );
      const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const r = await runVerification(
        store,
        settingsFor(rec, { VERIFY_GRACE: "2s", VERIFY_POLL_INTERVAL: "100ms" }),
        { now: () => Date.now() },
        sleep,
      );
      await writer;
      assert.equal(r.wait.outcome, "complete");
      assert.ok(r.wait.waitedMs >= 200 && r.wait.waitedMs < 2000, `waited ${r.wait.waitedMs} ms`);
      assert.equal(r.verdict.pass, true, r.verdict.reasons.join("; "));
    });
  });

  describe("lost run state", () => {
    const sleepless = simulatedTime(0);
    const verifyLost = (rec: RunRecord) =>
      runVerificationAnyOutcome(
        new RunStateStore(live.redis, rec.testId),
        settingsFor(rec),
        sleepless.clock,
        sleepless.sleep,
      );

    it("tells a run whose record is gone while its keys remain (VOID, run state lost) from no run at all", async () => {
      const rec = testRunRecord("lost-rec", 2, 1);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 10);
      await live.redis.command(["DEL", store.keys.record]);
      const r = await verifyLost(rec);
      assert.ok(isLostRun(r));
      assert.deepEqual(
        { outcome: r.outcome, headline: r.verdict.headline },
        { outcome: "VOID", headline: "VOID (run state lost)" },
      );
      assert.equal(
        r.verdict.reasons[0],
        "VOID run: run state lost: no run record for TEST_ID=lost-rec, but the run's publish counters, run end, accepted bitmap of tenant 0, publish latency, publish timeline, receipts of destination 0, counters of destination 0 remain, so the record was lost (it expired after RUN_TTL, was evicted, or Redis restarted without persistence)",
      );
      assert.match(renderText(r), /^VERDICT: VOID \(run state lost\)\n/);
    });

    it("is VOID when the record is younger than the run's keys: it was written again after being lost", async () => {
      const rec = testRunRecord("lost-young", 1, 1);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 10);
      // As if the original record had been lost and a later setup wrote it again 5 s later.
      await live.redis.command(["PEXPIRE", store.keys.publish(0), 604_800_000 - 5000]);
      await live.redis.command(["PEXPIRE", store.keys.accepted(0), 604_800_000 - 5000]);
      const r = await runVerification(store, settingsFor(rec), sleepless.clock, sleepless.sleep);
      assert.equal(r.verdict.headline, "VOID (run state lost)");
      assert.match(
        r.ledger.voidReasons[0],
        /^run state lost: the run record is [45]\.\d s younger than the run's oldest keys/,
      );
    });

    it("is VOID when counters fell behind the bitmaps", async () => {
      const rec = testRunRecord("lost-counter", 1, 1);
      const store = await create(rec);
      await publishAndDeliver(store, rec, 10);
      await live.redis.command(["HINCRBY", store.keys.publish(0), "accepted", -3]);
      const r = await runVerification(store, settingsFor(rec), sleepless.clock, sleepless.sleep);
      assert.equal(r.verdict.headline, "VOID (run state lost)");
      assert.match(r.ledger.voidReasons[0], /^run state lost \(.*\): publish counter accepted=7 != 10 accepted bits$/);
    });
  });

  it("says clearly when the run does not exist", async () => {
    const rec = testRunRecord("never-created", 1, 1);
    const time = simulatedTime(0);
    await assert.rejects(
      runVerification(new RunStateStore(live.redis, rec.testId), settingsFor(rec), time.clock, time.sleep),
      (err: unknown) => {
        assert.ok(err instanceof RunNotFoundError);
        assert.match(err.message, /^no run record for TEST_ID=never-created in this Redis/);
        return true;
      },
    );
  });
});
