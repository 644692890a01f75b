import type { OutpostClient } from "../outpost/client";
import type { Clock } from "../ports";
import {
  destinationId,
  destinationIndexes,
  eventId,
  type ProfileLayout,
  T0_METADATA_KEY,
  tenantId,
  tenantOfSeq,
} from "../runstate/identity";
import type { RunProfile, RunRecord } from "../runstate/record";
import { RedisUnavailableError } from "../runstate/redis-unavailable";
import type { RunStateStore, RunTiming } from "../runstate/store";

// What a VU needs of one profile.
export type PublishProfile = ProfileLayout & Pick<RunProfile, "topic" | "retry" | "payloadBytes">;

// What each VU needs of the run record (setup hands it over; no secrets).
export type PublishRun = RunTiming &
  Pick<RunRecord, "testId" | "plannedEvents" | "plannedEndMs"> & { profiles: PublishProfile[] };

export function publishRunOf(r: RunRecord): PublishRun {
  return {
    testId: r.testId,
    startedAtMs: r.startedAtMs,
    warmupEndsAtMs: r.warmupEndsAtMs,
    latencyWindows: r.latencyWindows,
    plannedEvents: r.plannedEvents,
    plannedEndMs: r.plannedEndMs,
    profiles: r.profiles.map((p) => ({
      name: p.name,
      index: p.index,
      tenants: p.tenants,
      destinationsPerTenant: p.destinationsPerTenant,
      firstTenant: p.firstTenant,
      firstDestination: p.firstDestination,
      topic: p.topic,
      retry: p.retry,
      payloadBytes: p.payloadBytes,
    })),
  };
}

export interface PublishDeps {
  outpost: OutpostClient;
  store: RunStateStore;
  clock: Clock;
  // The event data of (profile index, sequence number).
  payload: (profile: number, seq: number) => string;
}

export type PublishVerdict = "accepted" | "duplicate" | "rejected" | "error";

// When an event was due and when k6 got to it.
export interface EventTiming {
  // The scheduled time (arrivalOffsetMs), or null where it cannot be derived.
  scheduledMs: number | null;
  // The iteration's start.
  startedMs: number;
}

export interface EventOutcome {
  verdict: PublishVerdict;
  // The reason recorded in Redis for anything not accepted.
  reason?: string;
  // t2 - iteration start.
  latencyMs: number;
  // Outpost's answer listed other destinations than the tenant has (fewer or others).
  routingMismatch: boolean;
}

// A write to the run state failed: from here on the ledger cannot account for
// what Outpost accepted, so the run is void and must stop.
export class RunStateWriteError extends Error {
  constructor(
    readonly eventId: string,
    readonly reason: string,
    // Redis could not be reached at all (the reason then names REDIS_URL).
    readonly unavailable: boolean,
  ) {
    super(`recording the publish of ${eventId} failed: ${reason}`);
    this.name = "RunStateWriteError";
  }
}

// The one line throughput stops the test with.
export function runStateLostLine(err: RunStateWriteError, shownRedisUrl: string): string {
  const cause = err.unavailable ? err.reason : `REDIS_URL=${shownRedisUrl} refused the write (${err.reason})`;
  return `run state lost: recording the publish of ${err.eventId} failed: ${cause}; this run is void, stopping the test (no further publish starts)`;
}

async function recording<T>(id: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw new RunStateWriteError(id, (err as Error)?.message ?? String(err), err instanceof RedisUnavailableError);
  }
}

export interface Routing {
  // Per destination of the event's tenant, in order: listed in Outpost's answer.
  routed: boolean[];
  // A publish counter for what the tool cannot explain: destinations this run
  // did not create ("routing_unexpected"), or an answer without destination_ids
  // ("routing_unreadable"). Null when the answer is explained.
  unexplained: string | null;
  // The answer differs from what the run expects (k6's publish_routing_mismatch).
  mismatch: boolean;
}

// Compares Outpost's destination_ids with the destinations the run created for
// the event's tenant. Fewer is explainable (a destination disabled or deleted,
// by hand or by ALERT_AUTO_DISABLE_DESTINATION); others are not.
export function routingOf(run: PublishRun, profile: ProfileLayout, seq: number, answered: string[] | null): Routing {
  const expected = destinationIndexes(profile, tenantOfSeq(profile, seq)).map((d) =>
    destinationId(run.testId, profile, d),
  );
  if (answered === null) return { routed: expected.map(() => true), unexplained: "routing_unreadable", mismatch: true };
  const routed = expected.map((id) => answered.includes(id));
  const unexpected = answered.some((id) => !expected.includes(id));
  return {
    routed,
    unexplained: unexpected ? "routing_unexpected" : null,
    mismatch: unexpected || routed.includes(false),
  };
}

// A short, bounded name for a transport failure (it becomes a Redis hash field).
export function errorKind(error: string): string {
  if (/timeout|timed out|ETIMEDOUT|aborted/i.test(error)) return "timeout";
  if (/refused/i.test(error)) return "refused";
  if (/reset|ECONNRESET|EPIPE|broken pipe/i.test(error)) return "reset";
  if (/no such host|ENOTFOUND|EAI_AGAIN|lookup/i.test(error)) return "dns";
  return "network";
}

// Publishes event `seq` of a profile and records the outcome: one HTTP call and
// one Redis script (plus one HINCRBY when Outpost's answer cannot be explained).
export async function publishEvent(
  deps: PublishDeps,
  run: PublishRun,
  profile: PublishProfile,
  seq: number,
  timing: EventTiming,
): Promise<EventOutcome> {
  // t0 is when the event was due, so the generator's own lag counts in end-to-end latency.
  const t0Ms = timing.scheduledMs ?? timing.startedMs;
  const id = eventId(run.testId, profile, seq);
  const res = await deps.outpost.publish({
    id,
    tenantId: tenantId(run.testId, profile, tenantOfSeq(profile, seq)),
    topic: profile.topic,
    eligibleForRetry: profile.retry,
    metadata: { [T0_METADATA_KEY]: t0Ms.toFixed(3) },
    dataJson: deps.payload(profile.index, seq),
  });
  const t2Ms = deps.clock.now();
  const latencyMs = t2Ms - timing.startedMs;
  if (res.kind === "accepted") {
    const routing = routingOf(run, profile, seq, res.destinationIds);
    const startedMs = timing.scheduledMs === null ? undefined : timing.startedMs;
    await recording(id, () =>
      deps.store.recordPublishAccepted(run, profile, { seq, t0Ms, startedMs, t2Ms, routed: routing.routed }),
    );
    const unexplained = routing.unexplained;
    if (unexplained !== null) await recording(id, () => deps.store.countPublish(profile.index, unexplained));
    if (timing.scheduledMs === null)
      await recording(id, () => deps.store.countPublish(profile.index, "t0_unscheduled"));
    return { verdict: "accepted", latencyMs, routingMismatch: routing.mismatch };
  }
  const reason =
    res.kind === "duplicate"
      ? "duplicate"
      : res.kind === "rejected"
        ? `rejected:${res.status}`
        : `error:${errorKind(res.error)}`;
  await recording(id, () => deps.store.recordPublishNotAccepted(profile, seq, reason));
  return { verdict: res.kind, reason, latencyMs, routingMismatch: false };
}
