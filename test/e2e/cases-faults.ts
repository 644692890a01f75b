import { strict as assert } from "node:assert";
import { destinationIndexes, eventId, tenantOfSeq } from "../../src/runstate/identity";
import type { VerifyReport } from "../../src/verify/report";
import { type MockProcess, metric } from "../mock-webhook/fixtures";
import { assertSound, expectedDeliveries, faultTotal, pair } from "./checks";
import type { CaseContext } from "./context";
import { mockAttempts } from "./stack";

// Per event and destination, the outcomes the mock process saw (its memory, not Redis):
// "first", "duplicate", "error:500", ...
async function outcomesSeen(mock: MockProcess, report: VerifyReport): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  const shape = report.run.shape;
  for (let seq = 0; seq < report.publish.attempted; seq++) {
    const id = eventId(report.testId, seq);
    for (const d of destinationIndexes(shape, tenantOfSeq(shape, seq)))
      seen.set(pair({ eventId: id, destination: d }), []);
    for (const a of await mockAttempts(mock, id))
      seen.get(pair({ eventId: id, destination: a.destination }))?.push(a.outcome);
  }
  return seen;
}

const keysWhere = (m: Map<string, string[]>, f: (outcomes: string[]) => boolean): string[] =>
  [...m].filter(([, o]) => f(o)).map(([k]) => k);

export function faultCases(ctx: CaseContext): void {
  const { target, title } = ctx;

  it(
    title(
      "retries: the mock answers 30% of attempts 500, RETRY=true: every delivery arrives unless all its attempts were faulted, and the faults reconcile",
    ),
    async () => {
      const s = ctx.stack();
      const mock = await s.startMock({ MOCK_FAULT_ERROR_RATIO: "0.3" });
      const id = s.testId("retry");
      const t = await s.throughput({ TEST_ID: id, RATE: "50", DURATION: "2s", RETRY: "true" }, { mock });
      assert.equal(t.code, 0, t.stderr);
      const v = await s.verify(id, { VERIFY_GRACE: `${target.retryGraceMs}ms` });
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      assert.equal(tot.accepted, expectedDeliveries(r));
      assert.equal(tot.inFlight, 0, "no retry pending at the end");
      assert.equal(tot.missing, tot.missingAfterFault, "nothing missing without an injected fault");
      assert.equal(tot.duplicates, 0);
      const faults = tot.faults["error:500"] ?? 0;
      assert.equal(faultTotal(tot), faults);
      // The mock process counts faults and receipts in memory; Redis (the ledger) separately.
      assert.equal(await metric(mock, "mock_webhook_faults_total", { kind: "error" }), faults);
      assert.equal(await metric(mock, "mock_webhook_receipts_total", { outcome: "first" }), tot.delivered);
      assert.ok(tot.faultedEvents > 0 && tot.faultedEvents - tot.missingAfterFault > 0, "faulted events retried");
      // Attempts per event as the mock saw them: a delivered event had its faults and then
      // one success; an undelivered one exactly OUTPOST_MAX_ATTEMPTS faults, no further attempt.
      const seen = await outcomesSeen(mock, r);
      const gaveUp = keysWhere(seen, (o) => !o.includes("first"));
      assert.deepEqual(gaveUp, r.ledger.missingAfterFaultIds.map(pair));
      for (const [key, outcomes] of seen) {
        const errors = outcomes.filter((o) => o === "error:500").length;
        if (outcomes.includes("first")) assert.deepEqual(outcomes, [...Array(errors).fill("error:500"), "first"], key);
        else assert.equal(errors, target.maxAttempts, `${key}: ${outcomes.join(",")}`);
      }
      assert.equal(
        [...seen.values()].reduce((n, o) => n + o.length, 0),
        tot.attempts,
        "every attempt the ledger counts, the mock saw",
      );
      assert.equal(
        v.code === 0,
        tot.missingAfterFault === 0,
        "the verdict fails only when an event ran out of attempts",
      );
      ctx.note(
        `${r.publish.accepted} events: delivered ${tot.delivered}/${tot.accepted}, 500s injected ${faults} on ${tot.faultedEvents} deliveries, gave up after ${target.maxAttempts} faults ${tot.missingAfterFault}, in flight ${tot.inFlight}, attempts ${tot.attempts}, verify exit ${v.code}, waited ${(r.wait.waitedMs / 1000).toFixed(1)} s`,
      );
    },
  );

  it(
    title(
      "loss: the mock answers 20% of attempts 500, RETRY=false: the missing deliveries are exactly the faulted ones, the same ids",
    ),
    async () => {
      const s = ctx.stack();
      const mock = await s.startMock({ MOCK_FAULT_ERROR_RATIO: "0.2" });
      const id = s.testId("loss");
      const t = await s.throughput({ TEST_ID: id, RATE: "50", DURATION: "2s", RETRY: "false" }, { mock });
      assert.equal(t.code, 0, t.stderr);
      const v = await s.verify(id);
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      const faults = tot.faults["error:500"] ?? 0;
      assert.ok(faults > 0, "faults injected");
      assert.equal(tot.accepted, expectedDeliveries(r));
      assert.equal(tot.inFlight, 0);
      assert.equal(tot.missing, faults, "missing = injected faults");
      assert.equal(tot.missingAfterFault, faults);
      assert.equal(tot.faultedEvents, faults, "one attempt per event: each fault is a lost delivery");
      assert.equal(tot.attempts, tot.accepted, "no retry");
      assert.equal(await metric(mock, "mock_webhook_faults_total", { kind: "error" }), faults);
      const seen = await outcomesSeen(mock, r);
      assert.deepEqual(
        keysWhere(seen, (o) => o.length === 1 && o[0] === "error:500"),
        r.ledger.missingAfterFaultIds.map(pair),
        "the ids the mock faulted are the ids verify lists",
      );
      assert.deepEqual(
        keysWhere(seen, (o) => o.length !== 1),
        [],
        "exactly one attempt each",
      );
      assert.equal(v.code, 99, "lost deliveries fail the verdict");
      ctx.note(
        `${r.publish.accepted} events: delivered ${tot.delivered}/${tot.accepted}, 500s injected ${faults}, missing ${tot.missing} (all after a fault, same ids as the mock saw), attempts ${tot.attempts}, verify exit ${v.code}`,
      );
      assert.match(v.stdout, /Missing after an injected fault on every attempt \(RETRY=false/);
    },
  );

  it(
    title(
      "mock restarted mid-run (RETRY=true): the ledger balances, what Outpost retried after the restart is delivered, anything else is listed",
    ),
    async () => {
      const s = ctx.stack();
      const mock = await s.startMock();
      const port = Number(new URL(mock.url).port);
      const id = s.testId("restart");
      // VUs to spare: starting the new mock (ts-node) takes the CPU k6 would start VUs with.
      const run = s.startThroughput(
        { TEST_ID: id, RATE: "50", DURATION: "5s", RETRY: "true", PRE_ALLOCATED_VUS: "25" },
        { mock },
      );
      // Stop the mock (SIGTERM: it answers what is in flight) once deliveries flow, start a new
      // one on the same port while k6 keeps publishing; Outpost meets refused connections meanwhile.
      const deadline = Date.now() + 30_000;
      while ((await metric(mock, "mock_webhook_receipts_total")) < 40 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const stoppedAt = Date.now();
      assert.equal(await mock.stop(), 0, mock.output());
      await new Promise((r) => setTimeout(r, 1000));
      const restarted = await s.startMock({}, port);
      const downMs = Date.now() - stoppedAt;
      const t = await run.done;
      assert.equal(t.code, 0, t.stderr);
      const v = await s.verify(id, { VERIFY_GRACE: `${target.retryGraceMs}ms` });
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      assert.equal(tot.accepted, expectedDeliveries(r));
      assert.equal(tot.inFlight, 0, "no injected fault: nothing in flight");
      assert.deepEqual(r.ledger.missingIds.length, tot.missing, "every missing delivery listed");
      // Deliveries refused while the mock was down arrive by a retry at least RETRY_SCHEDULE's
      // first delay (1 s) after the event started.
      assert.ok((r.latency.stages.e2e.maxMs ?? 0) >= 1000, `e2e max ${r.latency.stages.e2e.maxMs} ms: nothing retried`);
      assert.equal(tot.delivered, tot.accepted, `down ${downMs} ms, shorter than the retry schedule: all delivered`);
      assert.equal(v.code, 0, v.stdout);
      let refusedNote = "";
      if (target.fake !== undefined) {
        // The fake also tells which attempts were refused.
        const refused = target.fake.attempts.filter((a) => a.eventId.startsWith(`${id}_`) && a.status === "failed");
        assert.ok(refused.length > 0, "Outpost met the stopped mock");
        refusedNote = `, failed attempts in the fake ${refused.length} (${[...new Set(refused.map((a) => a.code))].join(", ")})`;
      }
      ctx.note(
        `${r.publish.accepted} events: mock down ${downMs} ms; delivered ${tot.delivered}/${tot.accepted}, missing ${tot.missing}, e2e max ${r.latency.stages.e2e.maxMs} ms${refusedNote}, verify exit ${v.code}`,
      );
      await restarted.stop();
    },
  );
}
