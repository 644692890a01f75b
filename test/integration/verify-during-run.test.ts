import { strict as assert } from "node:assert";
import { readVerifySettings } from "../../src/config/verify-settings";
import { PublishLog } from "../../src/publish/publish-log";
import { destinationIndexes, tenantOfSeq } from "../../src/runstate/identity";
import type { RunRecord } from "../../src/runstate/record";
import { RunStateStore } from "../../src/runstate/store";
import { renderText } from "../../src/verify/render-text";
import type { VerifyReport } from "../../src/verify/report";
import { verifiedReport as runVerification } from "../support/verify-result";
import { connectRedis, withRedis } from "../support/redis-server";
import { inProgressRunRecord, testRunRecord } from "../support/run-record";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Publishes and delivers events as fast as a few concurrent writers can, through
// the real scripts and on their own connection, as throughput and the mock
// would: one delivery in three reaches Redis before its publish ack, one event
// in 50 meets an injected fault first (RETRY is on: Outpost retries), one in 40 is never delivered.
async function writeAtFullSpeed(store: RunStateStore, rec: RunRecord, stop: () => boolean): Promise<number> {
  let next = 0;
  const deliver = (seq: number, d: number): Promise<boolean> =>
    store.recordReceipt(rec, { destination: d, seq, t0Ms: Date.now() - 5, t3Ms: Date.now(), signature: "ok" });
  const writer = async (): Promise<void> => {
    while (!stop()) {
      const seq = next++;
      const t0Ms = Date.now();
      const destinations = destinationIndexes(rec.profiles[0], tenantOfSeq(rec.profiles[0], seq));
      const early = seq % 3 === 0 ? destinations : [];
      for (const d of early) await deliver(seq, d);
      await store.recordPublishAccepted(rec, rec.profiles[0], { seq, t0Ms, t2Ms: t0Ms + 1 });
      for (const d of destinations) {
        if (seq % 50 === 7) await store.recordFault(rec, d, seq, "error:500", "ok");
        if (seq % 40 !== 11 && !early.includes(d)) await deliver(seq, d);
      }
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  return next;
}

describe("verify while the run is still being written", function () {
  this.timeout(120_000);
  const live = withRedis();
  // verify at once, without waiting for deliveries.
  const verifySettings = (testId: string, grace: string) =>
    readVerifySettings({ TEST_ID: testId, REDIS_URL: live.server.url, VERIFY_TIMEOUT: "0s", VERIFY_GRACE: grace });

  it("reads one consistent snapshot each time: 50 reads under full-speed writes, none void, all in progress", async () => {
    const rec = inProgressRunRecord("live1", 3, 2, { retry: true });
    const writerStore = new RunStateStore(await connectRedis(live.server), rec.testId);
    await writerStore.createRunRecord(rec);
    const settings = verifySettings(rec.testId, "30s");
    const reader = new RunStateStore(live.redis, rec.testId);
    let done = false;
    const writing = writeAtFullSpeed(writerStore, rec, () => done);
    await sleep(200);
    const reports: VerifyReport[] = [];
    try {
      for (let i = 0; i < 50; i++)
        reports.push(await runVerification(reader, settings, { now: () => Date.now() }, () => Promise.resolve()));
    } finally {
      done = true;
    }
    const published = await writing;

    const outcomes = reports.map((r) => `${r.verdict.headline}${r.verdict.void ? `: ${r.ledger.voidReasons[0]}` : ""}`);
    assert.deepEqual(new Set(outcomes), new Set(["INCOMPLETE (run in progress)"]), outcomes.join("\n"));
    // The reads saw a growing run, not a frozen one.
    const accepted = reports.map((r) => r.ledger.totals.accepted);
    assert.ok(accepted[49] > accepted[0] && accepted[0] > 0, `accepted ${accepted[0]} .. ${accepted[49]}`);
    for (const r of reports) {
      assert.equal(r.ledger.totals.missing, 0, "nothing is missing while the run is in progress");
      assert.equal(r.ledger.totals.unknown, 0);
      assert.ok(r.ledger.destinations.every((d) => d.balanced));
    }
    assert.ok(
      reports.some((r) => r.ledger.totals.deliveredPublishUnrecorded > 0),
      "no delivery beat its ack",
    );

    // Once the run's end is recorded the same state is final: what never arrived is missing.
    await writerStore.markRunEnded(Date.now());
    const final = await runVerification(reader, settings, { now: () => Date.now() }, () => Promise.resolve());
    assert.equal(final.verdict.headline, "FAIL", final.verdict.reasons.join("; "));
    assert.deepEqual(final.ledger.voidReasons, []);
    const neverDelivered = Array.from({ length: published }, (_, seq) => seq).filter(
      (seq) => seq % 40 === 11 && seq % 3 !== 0,
    ).length;
    assert.equal(final.ledger.totals.missing, neverDelivered * 2);
    assert.equal(final.ledger.totals.accepted, published * 2);
  });

  it("deliveries of acks a VU still keeps are their own ledger row, in progress and after a crash, never void or unknown", async () => {
    const now = Date.now();
    const rec = testRunRecord("kept1", 2, 1, { startedAtMs: now, warmupEndsAtMs: now, plannedEndMs: now + 10_000 });
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    const settings = verifySettings(rec.testId, "5s");
    const verifyAt = (ms: number): Promise<VerifyReport> =>
      runVerification(store, settings, { now: () => ms }, () => Promise.resolve());
    // A VU's log keeps the acks of 0..9 (limits no test reaches); Outpost delivered all ten.
    const log = new PublishLog(store, rec, rec.profiles[0], { maxEvents: 1000, maxAgeMs: 3_600_000 });
    for (let seq = 0; seq < 10; seq++) {
      assert.equal(log.add({ kind: "accepted", seq, t0Ms: now, startedMs: now, t2Ms: now + 2 }, now + 2, false), false);
      await store.recordReceipt(rec, {
        destination: tenantOfSeq(rec.profiles[0], seq),
        seq,
        t0Ms: now,
        t3Ms: now + 5,
        signature: "ok",
      });
    }

    const running = await verifyAt(now + 1000);
    assert.equal(running.verdict.headline, "INCOMPLETE (run in progress)");
    assert.deepEqual(running.ledger.voidReasons, []);
    assert.deepEqual(
      [running.ledger.totals.accepted, running.ledger.totals.deliveredPublishUnrecorded, running.ledger.totals.unknown],
      [0, 10, 0],
    );
    assert.match(renderText(running), /\n {2}delivered, publish ack not recorded: 10 \(the run is in progress: /);

    // k6 killed: no end recorded and the planned end + VERIFY_GRACE passed. Still a row of its own.
    const crashed = await verifyAt(rec.plannedEndMs + 6000);
    assert.equal(crashed.verdict.headline, "INCOMPLETE (cut short or crashed)");
    assert.deepEqual([crashed.ledger.voidReasons, crashed.ledger.totals.unknown], [[], 0]);
    assert.match(
      renderText(crashed),
      /\n {2}delivered, publish ack not recorded: 10 \(throughput never recorded its end \(killed or crashed\)/,
    );

    // Written, they are ordinary deliveries.
    await log.flush();
    const flushed = await verifyAt(now + 1000);
    assert.deepEqual(
      [
        flushed.ledger.totals.accepted,
        flushed.ledger.totals.delivered,
        flushed.ledger.totals.deliveredPublishUnrecorded,
      ],
      [10, 10, 0],
    );
    assert.doesNotMatch(renderText(flushed), /publish ack not recorded/);

    // An end recorded while acks were never written is a harness bug: the receipts are unknown, the run void.
    log.add({ kind: "accepted", seq: 10, t0Ms: now, startedMs: now, t2Ms: now + 2 }, now + 2, false);
    await store.recordReceipt(rec, { destination: 0, seq: 10, t0Ms: now, t3Ms: now + 5, signature: "ok" });
    await store.markRunEnded(rec.plannedEndMs);
    const ended = await verifyAt(rec.plannedEndMs + 1000);
    assert.equal(ended.verdict.headline, "VOID");
    assert.equal(ended.ledger.totals.unknown, 1);
  });
});
