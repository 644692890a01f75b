// Every Redis key of a run. All share the {TEST_ID} hash tag so a run lives in
// one Redis Cluster slot (Lua scripts touch several keys at once).

// generator_lag: the event's scheduled time to its iteration's start (k6).
// receiver: how long the mock held its answer after the first byte (its added
// latency): after t3, so inside neither delivery nor e2e.
export type Stage = "generator_lag" | "publish" | "queue" | "delivery" | "e2e" | "receiver";
export const STAGES: readonly Stage[] = ["generator_lag", "publish", "queue", "delivery", "e2e", "receiver"];
// The stages time is spent in; receiver is the run's own setting (the hold the mock applies).
export const MEASURED_STAGES: readonly Stage[] = STAGES.filter((s) => s !== "receiver");
// Recorded by the publisher in its profile's latency hash; the others per destination by the mock.
export const PUBLISHER_STAGES: readonly Stage[] = ["generator_lag", "publish"];

export interface RunKeys {
  // JSON run record (RunRecord), written once by setup (SET NX).
  record: string;
  // Hash: endedAtMs, teardowns.
  end: string;
  // Bitmap per tenant, bit = local index: publish accepted (202, not duplicate).
  accepted(tenant: number): string;
  // Bitmap per tenant: publish not accepted (non-2xx or no answer). A receipt for
  // one of these is Outpost delivering an event it did not acknowledge, not a harness bug.
  rejected(tenant: number): string;
  // BITFIELD u32 per tenant at #local: publish-ack time in ms since startedAtMs, +1 (0 = unknown yet).
  publishedAt(tenant: number): string;
  // Hash of publish counters per profile (by index): accepted, duplicate,
  // rejected:<status>, error:<kind>, routing_unexpected, routing_unreadable, t0_unscheduled.
  publish(profile: number): string;
  // Bitmap per destination, bit = local index: accepted, but Outpost's publish
  // answer did not list this destination (disabled, deleted...): not routed.
  notRouted(destination: number): string;
  // Hash: first:<d>, last:<d> = epoch ms of the first and last publish ack that left destination d out.
  routing: string;
  // Bitmap per destination, bit = local index: at least one delivery recorded.
  receipts(destination: number): string;
  // Bitmap per destination: at least one attempt answered with an injected fault.
  faulted(destination: number): string;
  // BITFIELD u4 per destination at #local: injected faults so far (saturates at 15),
  // so verify can tell a pending retry from retries Outpost has used up.
  faultCount(destination: number): string;
  // BITFIELD u32 per destination at #local: attempt start (ta) in ms since startedAtMs, +1,
  // parked until the publish ack is known so the queue stage can be computed.
  attemptAt(destination: number): string;
  // Hash of per-destination counters: attempts, first, duplicate, fault:<kind>, sig:<ok|bad|missing|unchecked>.
  destination(destination: number): string;
  // Latency histograms, all stages in one hash (see histogram.ts): per
  // destination for queue, delivery, e2e and receiver.
  latency(destination: number): string;
  // The same per profile for generator_lag and publish.
  publishLatency(profile: number): string;
  // Latency over time, one hash per time window of event starts (latency-windows.ts):
  // "<stage>:<coarse bucket>" -> count, all stages, profiles and destinations together (histogram.ts).
  latencyWindow(window: number): string;
  // Hash second-since-epoch -> count: accepted publishes of a profile.
  publishTimeline(profile: number): string;
  // Hash second-since-epoch -> count: first deliveries at a destination.
  deliveryTimeline(destination: number): string;
  // Hash profile index -> receiver behaviour (JSON) set at run time through the
  // mock's control endpoint, in place of the record's.
  receivers: string;
  // Hash of run-wide anomalies: unknown:<reason>.
  anomalies: string;
  // Scratch keys for the ledger computation (deleted by the same script).
  scratch(name: string): string;
}

export function runKeys(testId: string): RunKeys {
  const p = `olt:{${testId}}:`;
  return {
    record: `${p}record`,
    end: `${p}end`,
    accepted: (t) => `${p}acc:${t}`,
    rejected: (t) => `${p}rej:${t}`,
    publishedAt: (t) => `${p}t2:${t}`,
    publish: (profile) => `${p}pub:${profile}`,
    notRouted: (d) => `${p}nrt:${d}`,
    routing: `${p}routing`,
    receipts: (d) => `${p}rcv:${d}`,
    faulted: (d) => `${p}flt:${d}`,
    faultCount: (d) => `${p}fltn:${d}`,
    attemptAt: (d) => `${p}ta:${d}`,
    destination: (d) => `${p}dst:${d}`,
    latency: (d) => `${p}lat:${d}`,
    publishLatency: (profile) => `${p}lat:p${profile}`,
    latencyWindow: (w) => `${p}latw:${w}`,
    publishTimeline: (profile) => `${p}tl:publish:${profile}`,
    deliveryTimeline: (d) => `${p}tl:d${d}`,
    receivers: `${p}receivers`,
    anomalies: `${p}anomalies`,
    scratch: (name) => `${p}tmp:${name}`,
  };
}

// Default lifetime of a run's keys: long enough to re-run verify next week.
export const DEFAULT_RUN_TTL_SECONDS = 7 * 24 * 3600;
