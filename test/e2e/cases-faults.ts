import { strict as assert } from "node:assert";
import type { RecentAttempt } from "../../mock-webhook/recent";
import { destinationIndexes, eventId, tenantOfSeq } from "../../src/runstate/identity";
import type { VerifyReport } from "../../src/verify/report";
import { type MockProcess, metric } from "../mock-webhook/fixtures";
import { assertSound, expectedDeliveries, faultTotal, pair } from "./checks";
import type { CaseContext } from "./context";
import { byEventThenDestination, type DeliveryOutcomes, loggedOutcomes } from "./outpost-attempts";
import { mockAttempts } from "./stack";

// Per delivery (event x destination), the attempts the mock process saw (its memory, not
// Redis), in arrival order.
async function attemptsSeen(mock: MockProcess, report: VerifyReport): Promise<Map<string, RecentAttempt[]>> {
  const seen = new Map<string, RecentAttempt[]>();
  // These cases run one profile.
  const profile = report.run.profiles[0];
  for (let seq = 0; seq < report.publish.attempted; seq++) {
    const id = eventId(report.testId, profile, seq);
    for (const d of destinationIndexes(profile, tenantOfSeq(profile, seq)))
      seen.set(pair({ eventId: id, destination: d }), []);
    for (const a of await mockAttempts(mock, id)) seen.get(pair({ eventId: id, destination: a.destination }))?.push(a);
  }
  return seen;
}

const keysWhere = (m: Map<string, RecentAttempt[]>, f: (attempts: RecentAttempt[]) => boolean): string[] =>
  [...m].filter(([, a]) => f(a)).map(([k]) => k);

const outcomes = (attempts: RecentAttempt[]): string[] => attempts.map((a) => a.outcome);

// The longest time between two attempts of one delivery (s): a retry's delay plus its lateness.
function longestGapS(seen: Map<string, RecentAttempt[]>): number {
  let gap = 0;
  for (const a of seen.values()) for (let i = 1; i < a.length; i++) gap = Math.max(gap, a[i].t3Ms - a[i - 1].t3Ms);
  return gap / 1000;
}

const sorted = (keys: string[]): string[] => [...keys].sort(byEventThenDestination);

// Outpost's own log against verify: each delivery verify counts as delivered has a successful
// attempt there, and each it lists as undelivered ended without one. On the fake no retry is
// ever lost; a real Outpost's lost retries are returned for the case to classify and report.
function assertLogAgrees(log: DeliveryOutcomes | null, report: VerifyReport, ctx: CaseContext): string[] {
  if (log === null) {
    ctx.note("the target keeps no attempt log (a fake process): Outpost-side cross-check skipped");
    return [];
  }
  const l = report.ledger;
  assert.equal(log.delivered.length, l.totals.delivered, "deliveries with a successful attempt in Outpost's log");
  assert.deepEqual(
    sorted([...log.gaveUp, ...log.retryLost]),
    sorted([...l.missingIds, ...l.missingAfterFaultIds, ...l.inFlightIds].map(pair)),
    "undelivered per Outpost's log = undelivered per verify",
  );
  if (ctx.target.kind === "fake") assert.deepEqual(log.retryLost, [], "the fake loses no retry");
  return log.retryLost;
}

export function faultCases(ctx: CaseContext): void {
  const { target, title } = ctx;

  it(
    title(
      "retries: the mock answers 30% of attempts 500, RETRY=true: every delivery arrives unless Outpost ran out of attempts, and the faults reconcile",
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
      assert.equal(tot.missing, tot.missingAfterFault, "nothing missing without an injected fault");
      assert.equal(tot.duplicates, 0);
      const faults = tot.faults["error:500"] ?? 0;
      assert.equal(faultTotal(tot), faults);
      // The mock process counts faults and receipts in memory; Redis (the ledger) separately.
      assert.equal(await metric(mock, "mock_webhook_faults_total", { kind: "error" }), faults);
      assert.equal(await metric(mock, "mock_webhook_receipts_total", { outcome: "first" }), tot.delivered);
      assert.ok(tot.faultedEvents - tot.missingAfterFault > 0, "faulted deliveries retried");
      // Attempts per delivery as the mock saw them: a delivered one had its faults and then one
      // success; one Outpost gave up on exactly OUTPOST_MAX_ATTEMPTS faults.
      const seen = await attemptsSeen(mock, r);
      assert.deepEqual(
        keysWhere(seen, (a) => !outcomes(a).includes("first") && a.length === target.maxAttempts),
        r.ledger.missingAfterFaultIds.map(pair),
      );
      for (const [key, attempts] of seen) {
        const o = outcomes(attempts);
        assert.ok(o.length <= target.maxAttempts, `${key}: ${o.join(",")}`);
        const errors = o.filter((x) => x === "error:500").length;
        if (o.includes("first")) assert.deepEqual(o, [...Array(errors).fill("error:500"), "first"], key);
        else assert.equal(errors, o.length, key);
      }
      assert.equal(
        [...seen.values()].reduce((n, a) => n + a.length, 0),
        tot.attempts,
        "the mock saw every attempt the ledger counts",
      );
      // In flight at the end: a faulted delivery Outpost still had attempts for, and made none
      // (its log says so too): a lost retry, which only a real Outpost shows.
      const lost = assertLogAgrees(await loggedOutcomes(target, r), r, ctx);
      assert.deepEqual(sorted(r.ledger.inFlightIds.map(pair)), sorted(lost), "in flight = retries Outpost lost");
      assert.equal(
        v.code === 0,
        tot.missingAfterFault + tot.inFlight === 0,
        "the verdict fails only when a delivery did not arrive",
      );
      ctx.note(
        `${r.publish.accepted} events: delivered ${tot.delivered}/${tot.accepted}; 500s injected ${faults} on ${tot.faultedEvents} deliveries; gave up after ${target.maxAttempts} faults ${tot.missingAfterFault}; in flight (retry lost) ${tot.inFlight}; attempts ${tot.attempts}; longest gap between attempts ${longestGapS(seen).toFixed(1)} s; verify exit ${v.code} after ${(r.wait.waitedMs / 1000).toFixed(1)} s`,
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
      assert.equal(tot.faultedEvents, faults, "one attempt per delivery: each fault a lost delivery");
      assert.equal(tot.attempts, tot.accepted, "no retry");
      assert.equal(await metric(mock, "mock_webhook_faults_total", { kind: "error" }), faults);
      const seen = await attemptsSeen(mock, r);
      assert.deepEqual(
        keysWhere(seen, (a) => a.length === 1 && a[0].outcome === "error:500"),
        r.ledger.missingAfterFaultIds.map(pair),
        "the ids the mock faulted are the ids verify lists",
      );
      assert.deepEqual(
        keysWhere(seen, (a) => a.length !== 1),
        [],
        "exactly one attempt each",
      );
      const log = await loggedOutcomes(target, r);
      assertLogAgrees(log, r, ctx);
      assert.equal(v.code, 99, "lost deliveries fail the verdict");
      assert.match(v.stdout, /Missing after an injected fault on every attempt \(RETRY=false/);
      ctx.note(
        `${r.publish.accepted} events: delivered ${tot.delivered}/${tot.accepted}, 500s injected ${faults}, missing ${tot.missing} (all after a fault; the same ids as the mock${log === null ? "" : " and Outpost's log"} saw), attempts ${tot.attempts}, verify exit ${v.code}`,
      );
    },
  );

  it(
    title(
      "mock restarted mid-run (RETRY=true): the ledger balances, what Outpost retried after the restart is delivered, the rest is listed",
    ),
    async () => {
      const s = ctx.stack();
      const mock = await s.startMock();
      const port = Number(new URL(mock.url).port);
      const id = s.testId("restart");
      const run = s.startThroughput({ TEST_ID: id, RATE: "50", DURATION: "5s", RETRY: "true" }, { mock });
      // Stop the mock (SIGTERM: it answers what is in flight) once deliveries flow, start a new
      // one on the same port while k6 keeps publishing; Outpost meets refused connections meanwhile.
      const deadline = Date.now() + 30_000;
      while ((await metric(mock, "mock_webhook_receipts_total")) < 40 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const stoppedAt = Date.now();
      assert.equal(await mock.stop(), 0, mock.output());
      await new Promise((r) => setTimeout(r, 1000));
      await s.startMock({}, port);
      const downMs = Date.now() - stoppedAt;
      const t = await run.done;
      assert.equal(t.code, 0, t.stderr);
      const v = await s.verify(id, { VERIFY_GRACE: `${target.retryGraceMs}ms` });
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      assert.equal(tot.accepted, expectedDeliveries(r));
      assert.equal(tot.inFlight, 0, "no injected fault: nothing in flight");
      assert.equal(r.ledger.missingIds.length, tot.missing, "every missing delivery listed");
      // Deliveries refused while the mock was down arrive by a retry at least RETRY_SCHEDULE's
      // first delay (1 s) after the event started.
      assert.ok((r.latency.stages.e2e.maxMs ?? 0) >= 1000, `e2e max ${r.latency.stages.e2e.maxMs} ms: nothing retried`);
      const log = await loggedOutcomes(target, r);
      const lost = assertLogAgrees(log, r, ctx);
      // Down for less than the retry schedule (1 + 2 + 4 s): Outpost gives up on none, so what
      // is missing is what it lost (a real Outpost only).
      assert.deepEqual(log?.gaveUp ?? [], [], `down ${downMs} ms: no delivery ran out of attempts`);
      assert.deepEqual(r.ledger.missingIds.map(pair), lost);
      assert.equal(v.code === 0, tot.missing === 0);
      const failed = log === null ? "" : `; attempts in Outpost's log ${log.attempts}`;
      ctx.note(
        `${r.publish.accepted} events, mock down ${downMs} ms: delivered ${tot.delivered}/${tot.accepted}, missing ${tot.missing} (retries Outpost lost ${lost.length}${lost.length ? `: ${lost.slice(0, 4).join(" ")}…` : ""})${failed}; e2e max ${(r.latency.stages.e2e.maxMs ?? 0).toFixed(0)} ms; verify exit ${v.code}`,
      );
    },
  );
}
