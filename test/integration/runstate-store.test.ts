import { strict as assert } from "node:assert";
import { percentileMs } from "../../src/runstate/histogram";
import { destinationIndexes, eventId, tenantOfSeq } from "../../src/runstate/identity";
import type { RunRecord } from "../../src/runstate/record";
import { RunStateStore } from "../../src/runstate/store";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { destinationSnapshot } from "../support/scripted-run";

const record = (testId: string, over: Partial<RunRecord> & { retry?: boolean } = {}): RunRecord =>
  testRunRecord(testId, 2, 2, over);

describe("run-state store against a real redis-server", () => {
  const live = withRedis();

  it("keeps an exact ledger with duplicates, missing, rejected and unknown receipts", async () => {
    const rec = record("ledger1");
    const store = new RunStateStore(live.redis, rec.testId);
    assert.equal((await store.createRunRecord(rec)).created, true);
    const t = rec.startedAtMs + 1000;
    // 100 events; seq 7 rejected; everything delivered to all its destinations
    // except seq 10 and 11 to their first destination; seq 20 delivered twice.
    for (let seq = 0; seq < 100; seq++) {
      if (seq === 7) await store.recordPublishNotAccepted(rec, rec.profiles[0], seq, "rejected:500");
      else assert.equal(await store.recordPublishAccepted(rec, rec.profiles[0], { seq, t0Ms: t, t2Ms: t + 5 }), true);
    }
    for (let seq = 0; seq < 100; seq++) {
      if (seq === 7) continue;
      for (const d of destinationIndexes(rec.profiles[0], tenantOfSeq(rec.profiles[0], seq))) {
        if ((seq === 10 || seq === 11) && d % 2 === 0) continue;
        const first = await store.recordReceipt(rec, {
          destination: d,
          seq,
          t0Ms: t,
          taMs: t + 10,
          t3Ms: t + 12,
          signature: "ok",
        });
        assert.equal(first, true);
      }
    }
    assert.equal(await store.recordReceipt(rec, { destination: 0, seq: 20, t3Ms: t + 50, signature: "ok" }), false);
    // seq 200 was never published: an unknown receipt on destination 0 (tenant 0).
    await store.recordReceipt(rec, { destination: 0, seq: 200, t3Ms: t + 50, signature: "ok" });

    const d0 = await destinationSnapshot(store, rec, 0);
    assert.deepEqual(
      {
        acc: d0.accepted,
        rcv: d0.received,
        del: d0.delivered,
        miss: d0.undeliveredNoFault,
        unack: d0.unacknowledged,
        list: d0.undeliveredNoFaultSeqs,
      },
      { acc: 50, rcv: 50, del: 49, miss: 1, unack: 0, list: [10] },
    );
    const d2 = await destinationSnapshot(store, rec, 2);
    assert.deepEqual(
      { acc: d2.accepted, del: d2.delivered, miss: d2.undeliveredNoFault, list: d2.undeliveredNoFaultSeqs },
      { acc: 49, del: 48, miss: 1, list: [11] },
    );
    assert.equal((await store.counters(store.keys.destination(0))).duplicate, 1);
    const q = (await store.stageHistograms(rec.profiles[0])).queue;
    assert.ok(Math.abs(percentileMs(q, 50) - 5) < 0.05, `queue p50 ${percentileMs(q, 50)}`);
    assert.equal(eventId("ledger1", rec.profiles[0], 10), "ledger1_10");
  });

  it("records the queue stage whichever of publish ack and delivery reaches Redis first", async () => {
    const rec = record("race1");
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    const t = rec.startedAtMs + 2000;
    // seq 0: receipt before the publish ack is recorded; seq 2: after.
    await store.recordReceipt(rec, { destination: 0, seq: 0, t0Ms: t, taMs: t + 30, t3Ms: t + 31, signature: "ok" });
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 0, t0Ms: t, t2Ms: t + 10 });
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 2, t0Ms: t, t2Ms: t + 10 });
    await store.recordReceipt(rec, { destination: 0, seq: 2, t0Ms: t, taMs: t + 30, t3Ms: t + 31, signature: "ok" });
    const q = await store.histogram("queue", 0);
    assert.equal(q.count, 2);
    assert.ok(Math.abs(percentileMs(q, 100) - 20) < 0.2);
    assert.equal(q.belowZero, 0);
  });

  it("counts attempts that started before the publish ack instead of hiding them", async () => {
    const rec = record("early1");
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    const t = rec.startedAtMs + 3000;
    // Outpost started the attempt 4 ms before k6 saw the 202, in both orders of arrival.
    await store.recordReceipt(rec, { destination: 0, seq: 0, t0Ms: t, taMs: t + 6, t3Ms: t + 7, signature: "ok" });
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 0, t0Ms: t, t2Ms: t + 10 });
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 2, t0Ms: t, t2Ms: t + 10 });
    await store.recordReceipt(rec, { destination: 0, seq: 2, t0Ms: t, taMs: t + 6, t3Ms: t + 7, signature: "ok" });
    const q = await store.histogram("queue", 0);
    assert.deepEqual({ n: q.count, below: q.belowZero, max: q.maxUs }, { n: 2, below: 2, max: 0 });
  });

  it("counts negative delivery and end-to-end samples (skewed clocks) instead of clamping them silently", async () => {
    const rec = record("skew1");
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    const t = rec.startedAtMs + 4000;
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 0, t0Ms: t, t2Ms: t + 5 });
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 2, t0Ms: t, t2Ms: t + 5 });
    // seq 0: the mock's clock is 3 ms behind Outpost's (delivery -2 ms) and 1.5 ms behind k6's (e2e -1.5 ms).
    await store.recordReceipt(rec, { destination: 0, seq: 0, t0Ms: t, taMs: t + 0.5, t3Ms: t - 1.5, signature: "ok" });
    await store.recordReceipt(rec, { destination: 0, seq: 2, t0Ms: t, taMs: t + 8, t3Ms: t + 9.25, signature: "ok" });
    const stages = await store.stageHistograms(rec.profiles[0]);
    assert.deepEqual(
      [stages.delivery.count, stages.delivery.belowZero, stages.delivery.minUs, stages.delivery.maxUs],
      [2, 1, 0, 1250],
    );
    assert.deepEqual([stages.e2e.count, stages.e2e.belowZero, stages.e2e.minUs, stages.e2e.maxUs], [2, 1, 0, 9250]);
    assert.equal(stages.publish.belowZero, 0);
  });

  it("counts in progress only receipts of events whose publish ack is recorded", async () => {
    const rec = record("prog1");
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    const t = rec.startedAtMs + 1000;
    // seq 0 reaches destination 0 before its ack; seq 2 was rejected at k6 yet delivered.
    await store.recordReceipt(rec, { destination: 0, seq: 0, t3Ms: t, signature: "ok" });
    await store.recordPublishNotAccepted(rec, rec.profiles[0], 2, "error:timeout");
    await store.recordReceipt(rec, { destination: 0, seq: 2, t3Ms: t, signature: "ok" });
    assert.deepEqual(await store.progress(rec), { expected: 0, delivered: 0 });
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 0, t0Ms: t, t2Ms: t + 3 });
    assert.deepEqual(await store.progress(rec), { expected: 2, delivered: 1 });
  });

  it("gives every key of a run a TTL, whichever script created it", async () => {
    const rec = record("ttl1", { retry: true, warmupEndsAtMs: 1_700_000_000_000 + 1500 });
    const store = new RunStateStore(live.redis, rec.testId, 3600);
    await store.createRunRecord(rec);
    const t = rec.startedAtMs + 1000;
    for (let seq = 0; seq < 40; seq++) {
      const t0Ms = t + seq * 20; // the first events fall in the warm-up
      if (seq % 9 === 0)
        await store.recordPublishNotAccepted(rec, rec.profiles[0], seq, seq % 2 ? "duplicate" : "rejected:503");
      else await store.recordPublishAccepted(rec, rec.profiles[0], { seq, t0Ms, t2Ms: t0Ms + 4 });
      for (const d of destinationIndexes(rec.profiles[0], tenantOfSeq(rec.profiles[0], seq))) {
        if (seq % 5 === 0) await store.recordFault(rec, d, seq, "error:500", "ok");
        else
          await store.recordReceipt(rec, {
            destination: d,
            seq,
            t0Ms,
            taMs: t0Ms + (seq % 2 ? 2 : 6),
            t3Ms: t0Ms + 8,
            signature: "ok",
          });
      }
    }
    await store.recordReceipt(rec, { destination: 1, seq: 3, t3Ms: t + 900, signature: "bad" });
    await store.recordAnomaly("unknown:bad_event_id");
    // A batch with an event Outpost did not route to one destination (nrt, routing keys).
    await store.recordPublishes(rec, rec.profiles[0], [
      {
        kind: "accepted",
        seq: 41,
        t0Ms: t,
        startedMs: t,
        t2Ms: t + 3,
        routed: [false],
        counters: ["routing_unexpected"],
      },
    ]);
    await store.markRunEnded(t + 2000);
    await store.snapshot(rec, 5, () => 11);
    await store.progress(rec);
    const keys = (await live.redis.command(["KEYS", "olt:{ttl1}:*"])) as string[];
    assert.ok(keys.length >= 20, `only ${keys.length} keys`);
    for (const k of keys) {
      const ttl = Number(await live.redis.command(["TTL", k]));
      assert.ok(ttl > 0 && ttl <= 3600, `${k} has TTL ${ttl}`);
    }
    assert.ok(!keys.some((k) => k.includes(":tmp:")), "ledger scratch keys left behind");
  });

  it("tells retries still pending from retries used up, by injected faults per event", async () => {
    const rec = record("exh1", { retry: true });
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    const t = rec.startedAtMs + 1000;
    // Tenant 0 (destination 0): seq 0 faulted 3 times, seq 2 once, seq 4 faulted twice then delivered.
    for (const seq of [0, 2, 4]) await store.recordPublishAccepted(rec, rec.profiles[0], { seq, t0Ms: t, t2Ms: t + 1 });
    for (const [seq, faults] of [
      [0, 3],
      [2, 1],
      [4, 2],
    ]) {
      for (let i = 0; i < faults; i++) await store.recordFault(rec, 0, seq, "error:500", "ok");
    }
    await store.recordReceipt(rec, { destination: 0, seq: 4, t3Ms: t + 9, signature: "ok" });
    const pick = async (maxAttempts: number) => {
      const l = await destinationSnapshot(store, rec, 0, 10, maxAttempts);
      return {
        pending: l.faultPendingSeqs,
        exhausted: l.faultExhaustedSeqs,
        silent: l.undeliveredNoFault,
        delivered: l.delivered,
      };
    };
    // Outpost makes 3 attempts: seq 0 has used them all, seq 2 has two left.
    assert.deepEqual(await pick(3), {
      pending: [2],
      exhausted: [0],
      silent: 0,
      delivered: 1,
    });
    // Unknown attempt budget: both stay in flight. One attempt (RETRY off): both used up.
    assert.deepEqual(await pick(0), {
      pending: [0, 2],
      exhausted: [],
      silent: 0,
      delivered: 1,
    });
    assert.deepEqual(await pick(1), {
      pending: [],
      exhausted: [0, 2],
      silent: 0,
      delivered: 1,
    });
  });
});
