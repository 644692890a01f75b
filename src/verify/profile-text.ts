import { budgetLine } from "../budget/concurrency-budget";
import type { FaultConfig } from "../receiver/faults";
import type { RunProfile } from "../runstate/record";
import type { ProfileReport, VerifyReport } from "./report";

// How the text and HTML reports name a traffic profile and its figures.

export function profileLabel(p: { name: string }): string {
  return p.name === "" ? "(unnamed)" : p.name;
}

const percent = (x: number): string => `${(x * 100).toFixed(0)}%`;

// A receiver behaviour in a few words; null: the mock's own faults.
export function receiverText(c: FaultConfig | Record<string, unknown> | null): string {
  if (c === null) return "the mock's";
  const parts = [`latency ${c.latency}`];
  if (Number(c.errorRatio) > 0) parts.push(`errors ${percent(Number(c.errorRatio))} (${String(c.errorStatuses)})`);
  if (Number(c.timeoutRatio) > 0) parts.push(`timeouts ${percent(Number(c.timeoutRatio))}`);
  if (Number(c.resetRatio) > 0) parts.push(`resets ${percent(Number(c.resetRatio))}`);
  return parts.join(", ");
}

// The receiver in force at the end: what the control endpoint set, else the record's.
export function receiverInForce(p: ProfileReport, rp: RunProfile): string {
  return receiverText(p.receiverChanged ?? rp.receiver);
}

export function budgetText(r: Pick<VerifyReport, "run">): string {
  const b = r.run.budget;
  return `Concurrency budget (setup): ${b === null ? "not checked (OUTPOST_DELIVERY_CONCURRENCY was unset)" : budgetLine(b)}.`;
}

const rate = (x: { perSecond: number } | null): string => (x === null ? "-" : x.perSecond.toFixed(1));

export const PROFILE_COLUMNS = [
  "profile",
  "verdict",
  "tenants x dest.",
  "receiver",
  "accepted",
  "delivered",
  "missing",
  "in flight",
  "not routed",
  "delivered %",
  "published/s",
  "delivered/s",
  "concurrency",
];

// One row per profile under PROFILE_COLUMNS (the delivered share as text).
export function profileRows(r: VerifyReport, share: (ratio: number | null) => string): Array<Array<string | number>> {
  return r.profiles.map((p, i) => {
    const rp = r.run.profiles[i];
    const t = p.ledger.totals;
    return [
      profileLabel(p),
      p.verdict.headline,
      `${rp.tenants} x ${rp.destinationsPerTenant}`,
      receiverInForce(p, rp),
      t.accepted,
      t.delivered,
      t.missing,
      t.inFlight,
      t.notRouted,
      share(p.ledger.deliveredRatio),
      rate(p.throughput.published),
      rate(p.throughput.delivered),
      p.budget === null ? "-" : p.budget.concurrency.toFixed(1),
    ];
  });
}
