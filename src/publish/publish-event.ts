import type { OutpostClient } from "../outpost/client";
import type { Clock } from "../ports";
import { eventId, T0_METADATA_KEY, tenantId, tenantOfSeq } from "../runstate/identity";
import type { RunRecord } from "../runstate/record";
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
  const res = await deps.outpost.publish({
    id: eventId(run.testId, seq),
    tenantId: tenantId(run.testId, tenantOfSeq(run.shape, seq)),
    topic: run.topic,
    eligibleForRetry: run.retry,
    metadata: { [T0_METADATA_KEY]: String(Math.round(t0Ms)) },
    dataJson: deps.payload(seq),
  });
  const t2Ms = deps.clock.now();
  const latencyMs = t2Ms - t0Ms;
  if (res.kind === "accepted") {
    await deps.store.recordPublishAccepted(run, { seq, t0Ms, t2Ms });
    const routingMismatch =
      res.destinationIds === null || res.destinationIds.length !== run.shape.destinationsPerTenant;
    if (routingMismatch) await deps.store.countPublish("routing_mismatch");
    return { verdict: "accepted", latencyMs, routingMismatch };
  }
  const reason =
    res.kind === "duplicate"
      ? "duplicate"
      : res.kind === "rejected"
        ? `rejected:${res.status}`
        : `error:${errorKind(res.error)}`;
  await deps.store.recordPublishNotAccepted(run, seq, reason);
  return { verdict: res.kind, reason, latencyMs, routingMismatch: false };
}
