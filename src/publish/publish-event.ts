import type { OutpostClient } from "../outpost/client";
import type { Clock } from "../ports";
import { eventId, T0_METADATA_KEY, tenantId, tenantOfSeq } from "../runstate/identity";
import type { RunRecord } from "../runstate/record";
import { RedisUnavailableError } from "../runstate/redis-unavailable";
import type { RunStateStore, RunTiming } from "../runstate/store";

// What each VU needs of the run record (setup hands it over; no secrets).
export type PublishRun = RunTiming & Pick<RunRecord, "testId" | "topic" | "retry" | "plannedEvents" | "plannedEndMs">;

export function publishRunOf(r: RunRecord): PublishRun {
  return {
    testId: r.testId,
    shape: r.shape,
    startedAtMs: r.startedAtMs,
    warmupEndsAtMs: r.warmupEndsAtMs,
    topic: r.topic,
    retry: r.retry,
    plannedEvents: r.plannedEvents,
    plannedEndMs: r.plannedEndMs,
  };
}

export interface PublishDeps {
  outpost: OutpostClient;
  store: RunStateStore;
  clock: Clock;
  payload: (seq: number) => string;
}

export type PublishVerdict = "accepted" | "duplicate" | "rejected" | "error";

export interface EventOutcome {
  verdict: PublishVerdict;
  // The reason recorded in Redis for anything not accepted.
  reason?: string;
  // t2 - t0.
  latencyMs: number;
  // Outpost matched a different number of destinations than the tenant has.
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

// A short, bounded name for a transport failure (it becomes a Redis hash field).
export function errorKind(error: string): string {
  if (/timeout|timed out|ETIMEDOUT|aborted/i.test(error)) return "timeout";
  if (/refused/i.test(error)) return "refused";
  if (/reset|ECONNRESET|EPIPE|broken pipe/i.test(error)) return "reset";
  if (/no such host|ENOTFOUND|EAI_AGAIN|lookup/i.test(error)) return "dns";
  return "network";
}

// Publishes event `seq` and records the outcome: one HTTP call and one Redis
// script (plus one HINCRBY on a routing mismatch).
export async function publishEvent(
  deps: PublishDeps,
  run: PublishRun,
  seq: number,
  t0Ms: number,
): Promise<EventOutcome> {
  const id = eventId(run.testId, seq);
  const res = await deps.outpost.publish({
    id,
    tenantId: tenantId(run.testId, tenantOfSeq(run.shape, seq)),
    topic: run.topic,
    eligibleForRetry: run.retry,
    metadata: { [T0_METADATA_KEY]: String(Math.round(t0Ms)) },
    dataJson: deps.payload(seq),
  });
  const t2Ms = deps.clock.now();
  const latencyMs = t2Ms - t0Ms;
  if (res.kind === "accepted") {
    await recording(id, () => deps.store.recordPublishAccepted(run, { seq, t0Ms, t2Ms }));
    const routingMismatch =
      res.destinationIds === null || res.destinationIds.length !== run.shape.destinationsPerTenant;
    if (routingMismatch) await recording(id, () => deps.store.countPublish("routing_mismatch"));
    return { verdict: "accepted", latencyMs, routingMismatch };
  }
  const reason =
    res.kind === "duplicate"
      ? "duplicate"
      : res.kind === "rejected"
        ? `rejected:${res.status}`
        : `error:${errorKind(res.error)}`;
  await recording(id, () => deps.store.recordPublishNotAccepted(run, seq, reason));
  return { verdict: res.kind, reason, latencyMs, routingMismatch: false };
}
