import { strict as assert } from "node:assert";
import type { VerifyReport } from "../../src/verify/report";
import type { E2eTarget } from "./target";
import { expectedAgainst } from "./target";

// Assertions every case makes on a verify report, on the ledger's numbers rather than its wording.

export type Totals = VerifyReport["ledger"]["totals"];

export const faultTotal = (t: Totals): number => Object.values(t.faults).reduce((a, b) => a + b, 0);

// The report is whole: not void, every destination balanced (accepted = delivered + missing +
// in flight + not routed, the last none here), no receipt this run did not publish, and it names its target on the first lines.
export function assertSound(report: VerifyReport, target: E2eTarget, text: string): Totals {
  const t = report.ledger.totals;
  assert.deepEqual(report.ledger.voidReasons, [], "void run");
  for (const d of report.ledger.destinations) assert.ok(d.balanced, `destination ${d.destination} unbalanced`);
  assert.equal(t.accepted, t.delivered + t.missing + t.inFlight + t.notRouted, "ledger identity");
  assert.equal(t.notRouted, 0, "Outpost routed every event to every destination of its tenant");
  assert.equal(t.unknown, 0, "unknown receipts");
  assert.equal(t.deliveredUnacknowledged, 0, "delivered without a publish ack");
  assert.equal(report.against, expectedAgainst(target));
  assert.ok(
    text
      .split("\n")
      .slice(0, 3)
      .includes(`Run made ${expectedAgainst(target)}.`),
    text.slice(0, 400),
  );
  return t;
}

// accepted publishes x destinations per tenant, per profile: what the ledger must account for.
export function expectedDeliveries(report: VerifyReport): number {
  return report.profiles.reduce((n, p, i) => n + p.publish.accepted * report.run.profiles[i].destinationsPerTenant, 0);
}

// "<event id>@d<destination>" for lists of undelivered events.
export const pair = (e: { eventId: string; destination: number }): string => `${e.eventId}@d${e.destination}`;
