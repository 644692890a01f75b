import { eventId, tenantOfDestination } from "../runstate/identity";
import type { RunProfile, RunRecord } from "../runstate/record";
import { addCounts, type DestinationSnapshot, profileAt, type RunSnapshot } from "../runstate/store";
import type { RunPhase } from "./run-status";

export interface LedgerOptions {
  listCap: number;
  // Attempts Outpost makes per event with retries on (OUTPOST_MAX_ATTEMPTS; 0 =
  // unknown); a profile with RETRY off gets one.
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
  // The traffic profile's index in the run record.
  profile: number;
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

// The ledger's figures over a set of destinations: the whole run, or one profile.
export interface LedgerSummary {
  totals: Omit<DestinationRow, "destination" | "id" | "tenant" | "profile" | "balanced">;
  // Delivered over the deliveries Outpost routed (accepted less not routed).
  deliveredRatio: number | null;
  notRouted: RoutingGap[];
  // Capped lists, ordered by sequence: accepted and not delivered, by reason.
  missingIds: UndeliveredEvent[];
  missingAfterFaultIds: UndeliveredEvent[];
  inFlightIds: UndeliveredEvent[];
  listCap: number;
  // Attempts per event Outpost makes (1 with RETRY off; 0 = unknown); null when
  // the run's profiles differ in it.
  maxAttempts: number | null;
  phase: RunPhase;
  // Destinations with more undelivered faulted events than the script splits one
  // by one: their in-flight count may include used-up retries.
  exhaustedSplitSkipped: number[];
  // Non-empty means the ledger cannot be trusted: the run is void.
  voidReasons: string[];
}

export interface Ledger extends LedgerSummary {
  destinations: DestinationRow[];
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
  const profile = profileAt(record, d);
  const tenant = tenantOfDestination(profile, d);
  const faults = prefixed(c, "fault:");
  const signatures = prefixed(c, "sig:");
  const running = opts.phase === "in_progress";
  const unrecorded = s.received - s.delivered - s.unacknowledged;
  const unrecordedExplained = opts.phase !== "ended";
  const r: DestinationRow = {
    destination: d,
    id: record.destinations.find((x) => x.index === d)?.id ?? String(d),
    tenant,
    profile: profile.index,
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
  destinations: DestinationSnapshot[],
  pick: (s: DestinationSnapshot) => number[],
  cap: number,
): UndeliveredEvent[] {
  const all = destinations.flatMap((s) => pick(s).map((seq) => ({ seq, destination: s.destination })));
  all.sort((a, b) => a.seq - b.seq || a.destination - b.destination);
  return all.slice(0, cap).map((e) => ({
    eventId: eventId(record.testId, profileAt(record, e.destination), e.seq),
    destination: e.destination,
  }));
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

// Whatever voids the whole run, whichever profile is looked at.
function runWideReasons(record: RunRecord, snap: RunSnapshot, rows: number): string[] {
  const why: string[] = [];
  const { recordPttlMs: recordLeft, oldestPublishKeyPttlMs: oldestLeft } = snap;
  if (recordLeft !== null && recordLeft >= 0 && oldestLeft !== null && recordLeft - oldestLeft > RECORD_AGE_SLACK_MS)
    why.push(
      `${RUN_STATE_LOST}: the run record is ${((recordLeft - oldestLeft) / 1000).toFixed(1)} s younger than the run's oldest keys, so it was written again after the original was lost (Redis restarted without persistence, or evicted it)`,
    );
  if (rows !== record.destinations.length)
    why.push(`ledger covers ${rows} of ${record.destinations.length} destinations`);
  // A receipt the mock could not place names no profile for sure.
  for (const [reason, n] of Object.entries(snap.anomalies))
    if (n > 0) why.push(`${n} receipt(s) the mock could not place (${reason})`);
  return why;
}

// A profile's publish counters against its accepted bitmaps.
function publishReasons(record: RunRecord, snap: RunSnapshot, p: RunProfile): string[] {
  const why: string[] = [];
  const at = record.profiles.length > 1 ? `profile ${p.name}: ` : "";
  const publish = snap.publish[p.index] ?? {};
  const acceptedBits = sum(snap.tenants.slice(p.firstTenant, p.firstTenant + p.tenants).map((t) => t.accepted));
  const acceptedCounter = publish.accepted ?? 0;
  if (acceptedCounter !== acceptedBits)
    why.push(`${at}${LOST}: publish counter accepted=${acceptedCounter} != ${acceptedBits} accepted bits`);
  if ((publish.accepted_again ?? 0) > 0)
    why.push(`${at}${publish.accepted_again} sequence number(s) were accepted twice (event ids reused within the run)`);
  if ((publish.routing_unexpected ?? 0) > 0)
    why.push(
      `${at}${publish.routing_unexpected} publish answer(s) listed destinations this run did not create for the event's tenant`,
    );
  if ((publish.routing_unreadable ?? 0) > 0)
    why.push(`${at}${publish.routing_unreadable} publish answer(s) had no readable destination_ids`);
  return why;
}

function attemptsOf(p: RunProfile, opts: LedgerOptions): number {
  return p.retry ? opts.maxAttempts : 1;
}

// Some destinations of a run: their rows and snapshots, the profiles they
// belong to, and what voids their figures.
interface Part {
  rows: DestinationRow[];
  destinations: DestinationSnapshot[];
  profiles: RunProfile[];
  voidReasons: string[];
}

// The ledger's figures of a part.
function summarise(record: RunRecord, snap: RunSnapshot, part: Part, opts: LedgerOptions): LedgerSummary {
  const { rows, destinations } = part;
  const totals = { faults: {}, signatures: {} } as Ledger["totals"];
  for (const k of TOTAL_FIELDS) totals[k] = sum(rows.map((r) => r[k]));
  for (const r of rows) {
    addCounts(totals.faults, r.faults);
    addCounts(totals.signatures, r.signatures);
  }
  const attempts = new Set(part.profiles.map((p) => attemptsOf(p, opts)));
  const running = opts.phase === "in_progress";
  const routedTotal = totals.accepted - totals.notRouted;
  return {
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
    missingIds: running ? [] : listEvents(record, destinations, (s) => s.undeliveredNoFaultSeqs, opts.listCap),
    missingAfterFaultIds: listEvents(record, destinations, (s) => s.faultExhaustedSeqs, opts.listCap),
    inFlightIds: listEvents(
      record,
      destinations,
      (s) => (running ? [...s.undeliveredNoFaultSeqs, ...s.faultPendingSeqs] : s.faultPendingSeqs),
      opts.listCap,
    ),
    listCap: opts.listCap,
    maxAttempts: attempts.size === 1 ? [...attempts][0] : null,
    phase: opts.phase,
    exhaustedSplitSkipped: destinations.filter((s) => !s.exhaustedSplitDone).map((s) => s.destination),
    voidReasons: part.voidReasons,
  };
}

// One profile's rows and what voids them (its destinations, its publish counters).
function profilePart(record: RunRecord, snap: RunSnapshot, p: RunProfile, opts: LedgerOptions): Part {
  const destinations = snap.destinations.filter((s) => profileAt(record, s.destination).index === p.index);
  const rows = destinations.map((s) => row(record, snap, s, opts));
  return {
    rows: rows.map((r) => r.row),
    destinations,
    profiles: [p],
    voidReasons: [...rows.flatMap((r) => r.voidReasons), ...publishReasons(record, snap, p)],
  };
}

// Pure: the exact ledger of one snapshot, cross-checked against counters kept
// independently of the bitmaps. Any inconsistency makes the run void rather
// than quietly reporting a smaller denominator.
export function buildLedger(record: RunRecord, snap: RunSnapshot, opts: LedgerOptions): Ledger {
  const parts = record.profiles.map((p) => profilePart(record, snap, p, opts));
  const rows = parts.flatMap((p) => p.rows);
  const all: Part = {
    rows,
    destinations: parts.flatMap((p) => p.destinations),
    profiles: record.profiles,
    voidReasons: [...parts.flatMap((p) => p.voidReasons), ...runWideReasons(record, snap, rows.length)],
  };
  return { destinations: rows, ...summarise(record, snap, all, opts) };
}

// The ledger of one profile: its destinations, and whatever voids them or the whole run.
export function profileLedger(record: RunRecord, snap: RunSnapshot, p: RunProfile, opts: LedgerOptions): LedgerSummary {
  const part = profilePart(record, snap, p, opts);
  const rowCount = snap.destinations.length;
  return summarise(
    record,
    snap,
    { ...part, voidReasons: [...part.voidReasons, ...runWideReasons(record, snap, rowCount)] },
    opts,
  );
}
