import { eventId, tenantOfDestination } from "../runstate/identity";
import type { RunRecord } from "../runstate/record";
import { addCounts, type DestinationLedger, type RunStateStore } from "../runstate/store";

// What Redis holds for one destination: the set arithmetic of the LEDGER script
// plus the destination's independently kept counters (dst:<d> hash).
export interface DestinationInputs {
  ledger: DestinationLedger;
  counters: Record<string, number>;
}

export interface LedgerInputs {
  // Attempts Outpost makes per event for this run (1 with RETRY off; 0 = unknown).
  maxAttempts: number;
  destinations: DestinationInputs[];
  publish: Record<string, number>;
  anomalies: Record<string, number>;
}

export interface DestinationRow {
  destination: number;
  id: string;
  tenant: number;
  accepted: number;
  delivered: number;
  // Accepted, never delivered, and (with RETRY) never answered with an injected fault.
  missing: number;
  // Of missing: every attempt Outpost makes got an injected fault (its only one with
  // RETRY=false, all OUTPOST_MAX_ATTEMPTS with RETRY=true), so Outpost gave up by design.
  missingAfterFault: number;
  // RETRY=true only: accepted, not delivered yet, an attempt got an injected fault and
  // Outpost has attempts left (or OUTPOST_MAX_ATTEMPTS is 0: unknown).
  inFlight: number;
  duplicates: number;
  attempts: number;
  deliveredUnacknowledged: number;
  unknown: number;
  faultedEvents: number;
  faults: Record<string, number>;
  signatures: Record<string, number>;
  balanced: boolean;
}

export interface UndeliveredEvent {
  eventId: string;
  destination: number;
}

export interface Ledger {
  destinations: DestinationRow[];
  totals: Omit<DestinationRow, "destination" | "id" | "tenant" | "balanced">;
  deliveredRatio: number | null;
  // Capped lists, ordered by sequence: accepted and not delivered, by reason.
  missingIds: UndeliveredEvent[];
  missingAfterFaultIds: UndeliveredEvent[];
  inFlightIds: UndeliveredEvent[];
  listCap: number;
  maxAttempts: number;
  // Destinations with more undelivered faulted events than the script splits one
  // by one: their in-flight count may include used-up retries.
  exhaustedSplitSkipped: number[];
  // Non-empty means the ledger cannot be trusted: the run is void.
  voidReasons: string[];
}

// Reads everything the ledger needs. The script always splits undelivered
// events by "ever faulted" (retry: true); with RETRY off Outpost makes one
// attempt, so every faulted undelivered event has used up its attempts.
export async function readLedgerInputs(
  store: RunStateStore,
  record: RunRecord,
  listCap: number,
  outpostMaxAttempts: number,
): Promise<LedgerInputs> {
  const split = { ...record, retry: true };
  const maxAttempts = record.retry ? outpostMaxAttempts : 1;
  const destinations: DestinationInputs[] = [];
  for (const d of record.destinations) {
    destinations.push({
      ledger: await store.destinationLedger(split, d.index, listCap, maxAttempts),
      counters: await store.counters(store.keys.destination(d.index)),
    });
  }
  return {
    maxAttempts,
    destinations,
    publish: await store.counters(store.keys.publish),
    anomalies: await store.counters(store.keys.anomalies),
  };
}

function prefixed(counters: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

const sum = (xs: Iterable<number>): number => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

function row(record: RunRecord, input: DestinationInputs): { row: DestinationRow; voidReasons: string[] } {
  const { ledger: l, counters: c } = input;
  const d = l.destination;
  const faults = prefixed(c, "fault:");
  const signatures = prefixed(c, "sig:");
  const r: DestinationRow = {
    destination: d,
    id: record.destinations.find((x) => x.index === d)?.id ?? String(d),
    tenant: tenantOfDestination(record.shape, d),
    accepted: l.accepted,
    delivered: l.delivered,
    missing: l.missing + l.exhausted,
    missingAfterFault: l.exhausted,
    inFlight: l.inFlight,
    duplicates: c.duplicate ?? 0,
    attempts: c.attempts ?? 0,
    deliveredUnacknowledged: l.deliveredUnacknowledged,
    unknown: l.unknown,
    faultedEvents: l.faulted,
    faults,
    signatures,
    balanced: false,
  };
  r.balanced = r.accepted === r.delivered + r.missing + r.inFlight;
  const why: string[] = [];
  const at = `destination ${d}`;
  if (!r.balanced)
    why.push(
      `${at}: ledger does not balance: accepted ${r.accepted} != delivered ${r.delivered} + missing ${r.missing} + in flight ${r.inFlight}`,
    );
  if (r.unknown > 0) why.push(`${at}: ${r.unknown} receipt(s) for event ids this run never published`);
  const first = c.first ?? 0;
  if (first !== l.received) why.push(`${at}: first-delivery counter ${first} != received bits ${l.received}`);
  const accounted = first + r.duplicates + sum(Object.values(faults));
  if (r.attempts !== accounted)
    why.push(
      `${at}: attempts ${r.attempts} != first ${first} + duplicates ${r.duplicates} + faults ${accounted - first - r.duplicates}`,
    );
  const signed = sum(Object.values(signatures));
  if (signed !== r.attempts) why.push(`${at}: signature counts ${signed} != attempts ${r.attempts}`);
  return { row: r, voidReasons: why };
}

function listEvents(
  record: RunRecord,
  inputs: DestinationInputs[],
  pick: (l: DestinationLedger) => number[],
  cap: number,
): UndeliveredEvent[] {
  const all = inputs.flatMap((i) => pick(i.ledger).map((seq) => ({ seq, destination: i.ledger.destination })));
  all.sort((a, b) => a.seq - b.seq || a.destination - b.destination);
  return all.slice(0, cap).map((e) => ({ eventId: eventId(record.testId, e.seq), destination: e.destination }));
}

// Pure: the exact ledger, cross-checked against counters kept independently of
// the bitmaps. Any inconsistency makes the run void rather than quietly
// reporting a smaller denominator.
export function buildLedger(record: RunRecord, inputs: LedgerInputs, listCap: number): Ledger {
  const rows: DestinationRow[] = [];
  const voidReasons: string[] = [];
  for (const input of inputs.destinations) {
    const r = row(record, input);
    rows.push(r.row);
    voidReasons.push(...r.voidReasons);
  }
  const totals: Ledger["totals"] = {
    accepted: 0,
    delivered: 0,
    missing: 0,
    missingAfterFault: 0,
    inFlight: 0,
    duplicates: 0,
    attempts: 0,
    deliveredUnacknowledged: 0,
    unknown: 0,
    faultedEvents: 0,
    faults: {},
    signatures: {},
  };
  for (const r of rows) {
    for (const k of [
      "accepted",
      "delivered",
      "missing",
      "missingAfterFault",
      "inFlight",
      "duplicates",
      "attempts",
      "deliveredUnacknowledged",
      "unknown",
      "faultedEvents",
    ] as const) {
      totals[k] += r[k];
    }
    addCounts(totals.faults, r.faults);
    addCounts(totals.signatures, r.signatures);
  }

  if (rows.length !== record.destinations.length)
    voidReasons.push(`ledger covers ${rows.length} of ${record.destinations.length} destinations`);
  // Every destination of a tenant reads the same acc:<tenant> bitmap.
  const perTenant = new Map<number, number>();
  for (const r of rows) {
    const seen = perTenant.get(r.tenant);
    if (seen === undefined) perTenant.set(r.tenant, r.accepted);
    else if (seen !== r.accepted)
      voidReasons.push(`tenant ${r.tenant}: destinations disagree on accepted events (${seen} vs ${r.accepted})`);
  }
  const acceptedBits = sum(perTenant.values());
  const acceptedCounter = inputs.publish.accepted ?? 0;
  if (acceptedCounter !== acceptedBits)
    voidReasons.push(`publish counter accepted=${acceptedCounter} != ${acceptedBits} accepted bits`);
  if ((inputs.publish.accepted_again ?? 0) > 0)
    voidReasons.push(
      `${inputs.publish.accepted_again} sequence number(s) were accepted twice (event ids reused within the run)`,
    );
  if ((inputs.publish.routing_mismatch ?? 0) > 0)
    voidReasons.push(`${inputs.publish.routing_mismatch} publish(es) routed to a tenant other than the id scheme says`);
  for (const [reason, n] of Object.entries(inputs.anomalies))
    if (n > 0) voidReasons.push(`${n} receipt(s) the mock could not place (${reason})`);

  return {
    destinations: rows,
    totals,
    deliveredRatio: totals.accepted === 0 ? null : totals.delivered / totals.accepted,
    missingIds: listEvents(record, inputs.destinations, (l) => l.missingSeqs, listCap),
    missingAfterFaultIds: listEvents(record, inputs.destinations, (l) => l.exhaustedSeqs, listCap),
    inFlightIds: listEvents(record, inputs.destinations, (l) => l.inFlightSeqs, listCap),
    listCap,
    maxAttempts: inputs.maxAttempts,
    exhaustedSplitSkipped: inputs.destinations
      .filter((i) => !i.ledger.exhaustedSplitDone)
      .map((i) => i.ledger.destination),
    voidReasons,
  };
}
