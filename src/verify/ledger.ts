import { eventId, tenantOfDestination } from "../runstate/identity";
import type { RunRecord } from "../runstate/record";
import { addCounts, type DestinationSnapshot, type RunSnapshot } from "../runstate/store";
import type { RunPhase } from "./run-status";

export interface LedgerOptions {
  listCap: number;
  // Attempts Outpost makes per event for this run (1 with RETRY off; 0 = unknown).
  maxAttempts: number;
  // How far the run got, as of the snapshot: it decides whether an undelivered
  // event is missing or still in flight, and whether a receipt whose publish
  // outcome is not recorded is a harness bug or a publish still (or never) finishing.
  phase: RunPhase;
}

export interface DestinationRow {
  destination: number;
  id: string;
  tenant: number;
  accepted: number;
  delivered: number;
  // Accepted, never delivered, and not waiting for a retry (the run has ended).
  missing: number;
  // Of missing: every attempt Outpost makes got an injected fault (its only one with
  // RETRY=false, all OUTPOST_MAX_ATTEMPTS with RETRY=true), so Outpost gave up by design.
  missingAfterFault: number;
  // Accepted and not delivered yet while something may still deliver it: Outpost
  // owes a retry after an injected fault, or the run is still in progress.
  inFlight: number;
  // Accepted, but Outpost's publish answer left this destination out (disabled,
  // deleted): neither delivered nor missing, and not expected.
  notRouted: number;
  duplicates: number;
  attempts: number;
  deliveredUnacknowledged: number;
  // Receipts whose publish outcome is not recorded while that is explainable: the
  // run is in progress (the ack is recorded after the delivery can arrive) or was
  // cut short (a publish interrupted before its outcome was written).
  deliveredPublishUnrecorded: number;
  unknown: number;
  faultedEvents: number;
  faults: Record<string, number>;
  signatures: Record<string, number>;
  balanced: boolean;
}

// A destination Outpost stopped routing events to, and when (publish acks).
export interface RoutingGap {
  destination: number;
  id: string;
  events: number;
  firstMs: number | null;
  lastMs: number | null;
}

export interface UndeliveredEvent {
  eventId: string;
  destination: number;
}

export interface Ledger {
  destinations: DestinationRow[];
  totals: Omit<DestinationRow, "destination" | "id" | "tenant" | "balanced">;
  // Delivered over the deliveries Outpost routed (accepted less not routed).
  deliveredRatio: number | null;
  notRouted: RoutingGap[];
  // Capped lists, ordered by sequence: accepted and not delivered, by reason.
  missingIds: UndeliveredEvent[];
  missingAfterFaultIds: UndeliveredEvent[];
  inFlightIds: UndeliveredEvent[];
  listCap: number;
  maxAttempts: number;
  phase: RunPhase;
  // Destinations with more undelivered faulted events than the script splits one
  // by one: their in-flight count may include used-up retries.
  exhaustedSplitSkipped: number[];
  // Non-empty means the ledger cannot be trusted: the run is void.
  voidReasons: string[];
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

// A lost write shows as a counter that disagrees with the bitmap written in the
// same script: Redis restarted without the last writes, or evicted or expired keys.
export const RUN_STATE_LOST = "run state lost";
const LOST = `${RUN_STATE_LOST} (Redis restarted without persistence, or evicted or expired keys)`;
// The record is written in setup before any other key of the run; one that is
// younger than them by more than this was written again after being lost.
const RECORD_AGE_SLACK_MS = 1000;

function row(
  record: RunRecord,
  snap: RunSnapshot,
  s: DestinationSnapshot,
  opts: LedgerOptions,
): { row: DestinationRow; voidReasons: string[] } {
  const c = s.counters;
  const d = s.destination;
  const tenant = tenantOfDestination(record.shape, d);
  const faults = prefixed(c, "fault:");
  const signatures = prefixed(c, "sig:");
  const running = opts.phase === "in_progress";
  const unrecorded = s.received - s.delivered - s.unacknowledged;
  const unrecordedExplained = opts.phase !== "ended";
  const r: DestinationRow = {
    destination: d,
    id: record.destinations.find((x) => x.index === d)?.id ?? String(d),
    tenant,
    accepted: snap.tenants[tenant]?.accepted ?? 0,
    delivered: s.delivered,
    missing: (running ? 0 : s.undeliveredNoFault) + s.faultExhausted,
    missingAfterFault: s.faultExhausted,
    inFlight: (running ? s.undeliveredNoFault : 0) + s.faultPending,
    notRouted: s.notRouted,
    duplicates: c.duplicate ?? 0,
    attempts: c.attempts ?? 0,
    deliveredUnacknowledged: s.unacknowledged,
    deliveredPublishUnrecorded: unrecordedExplained ? unrecorded : 0,
    unknown: unrecordedExplained ? 0 : unrecorded,
    faultedEvents: s.faulted,
    faults,
    signatures,
    balanced: false,
  };
  r.balanced = r.accepted === r.delivered + r.missing + r.inFlight + r.notRouted;
  const why: string[] = [];
  const at = `destination ${d}`;
  if (!r.balanced)
    why.push(
      `${at}: ledger does not balance: accepted ${r.accepted} != delivered ${r.delivered} + missing ${r.missing} + in flight ${r.inFlight} + not routed ${r.notRouted}`,
    );
  if (r.unknown > 0) why.push(`${at}: ${r.unknown} receipt(s) for event ids this run never published`);
  const first = c.first ?? 0;
  if (first !== s.received) why.push(`${at}: ${LOST}: first-delivery counter ${first} != received bits ${s.received}`);
  const accounted = first + r.duplicates + sum(Object.values(faults));
  if (r.attempts !== accounted)
    why.push(
      `${at}: ${LOST}: attempts ${r.attempts} != first ${first} + duplicates ${r.duplicates} + faults ${accounted - first - r.duplicates}`,
    );
  const signed = sum(Object.values(signatures));
  if (signed !== r.attempts) why.push(`${at}: ${LOST}: signature counts ${signed} != attempts ${r.attempts}`);
  return { row: r, voidReasons: why };
}

function listEvents(
  record: RunRecord,
  snap: RunSnapshot,
  pick: (s: DestinationSnapshot) => number[],
  cap: number,
): UndeliveredEvent[] {
  const all = snap.destinations.flatMap((s) => pick(s).map((seq) => ({ seq, destination: s.destination })));
  all.sort((a, b) => a.seq - b.seq || a.destination - b.destination);
  return all.slice(0, cap).map((e) => ({ eventId: eventId(record.testId, e.seq), destination: e.destination }));
}

const TOTAL_FIELDS = [
  "accepted",
  "delivered",
  "missing",
  "missingAfterFault",
  "inFlight",
  "notRouted",
  "duplicates",
  "attempts",
  "deliveredUnacknowledged",
  "deliveredPublishUnrecorded",
  "unknown",
  "faultedEvents",
] as const;

// Pure: the exact ledger of one snapshot, cross-checked against counters kept
// independently of the bitmaps. Any inconsistency makes the run void rather
// than quietly reporting a smaller denominator.
export function buildLedger(record: RunRecord, snap: RunSnapshot, opts: LedgerOptions): Ledger {
  const rows: DestinationRow[] = [];
  const voidReasons: string[] = [];
  for (const s of snap.destinations) {
    const r = row(record, snap, s, opts);
    rows.push(r.row);
    voidReasons.push(...r.voidReasons);
  }
  const totals = { faults: {}, signatures: {} } as Ledger["totals"];
  for (const k of TOTAL_FIELDS) totals[k] = sum(rows.map((r) => r[k]));
  for (const r of rows) {
    addCounts(totals.faults, r.faults);
    addCounts(totals.signatures, r.signatures);
  }

  const { recordPttlMs: recordLeft, oldestPublishKeyPttlMs: oldestLeft } = snap;
  if (recordLeft !== null && recordLeft >= 0 && oldestLeft !== null && recordLeft - oldestLeft > RECORD_AGE_SLACK_MS)
    voidReasons.push(
      `${RUN_STATE_LOST}: the run record is ${((recordLeft - oldestLeft) / 1000).toFixed(1)} s younger than the run's oldest keys, so it was written again after the original was lost (Redis restarted without persistence, or evicted it)`,
    );
  if (rows.length !== record.destinations.length)
    voidReasons.push(`ledger covers ${rows.length} of ${record.destinations.length} destinations`);
  const acceptedBits = sum(snap.tenants.map((t) => t.accepted));
  const acceptedCounter = snap.publish.accepted ?? 0;
  if (acceptedCounter !== acceptedBits)
    voidReasons.push(`${LOST}: publish counter accepted=${acceptedCounter} != ${acceptedBits} accepted bits`);
  if ((snap.publish.accepted_again ?? 0) > 0)
    voidReasons.push(
      `${snap.publish.accepted_again} sequence number(s) were accepted twice (event ids reused within the run)`,
    );
  if ((snap.publish.routing_unexpected ?? 0) > 0)
    voidReasons.push(
      `${snap.publish.routing_unexpected} publish answer(s) listed destinations this run did not create for the event's tenant`,
    );
  if ((snap.publish.routing_unreadable ?? 0) > 0)
    voidReasons.push(`${snap.publish.routing_unreadable} publish answer(s) had no readable destination_ids`);
  for (const [reason, n] of Object.entries(snap.anomalies))
    if (n > 0) voidReasons.push(`${n} receipt(s) the mock could not place (${reason})`);

  const running = opts.phase === "in_progress";
  const routedTotal = totals.accepted - totals.notRouted;
  return {
    destinations: rows,
    totals,
    deliveredRatio: routedTotal === 0 ? null : totals.delivered / routedTotal,
    notRouted: rows
      .filter((r) => r.notRouted > 0)
      .map((r) => ({
        destination: r.destination,
        id: r.id,
        events: r.notRouted,
        firstMs: snap.routing[`first:${r.destination}`] ?? null,
        lastMs: snap.routing[`last:${r.destination}`] ?? null,
      })),
    missingIds: running ? [] : listEvents(record, snap, (s) => s.undeliveredNoFaultSeqs, opts.listCap),
    missingAfterFaultIds: listEvents(record, snap, (s) => s.faultExhaustedSeqs, opts.listCap),
    inFlightIds: listEvents(
      record,
      snap,
      (s) => (running ? [...s.undeliveredNoFaultSeqs, ...s.faultPendingSeqs] : s.faultPendingSeqs),
      opts.listCap,
    ),
    listCap: opts.listCap,
    maxAttempts: opts.maxAttempts,
    phase: opts.phase,
    exhaustedSplitSkipped: snap.destinations.filter((s) => !s.exhaustedSplitDone).map((s) => s.destination),
    voidReasons,
  };
}
