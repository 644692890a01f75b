import { type OutpostClient, publishBody, publishResult, publishShared } from "../outpost/client";
import type { HttpRequest, HttpResponse } from "../ports";
import {
  destinationId,
  eventId,
  type ProfileLayout,
  T0_METADATA_KEY,
  tenantId,
  tenantOfSeq,
} from "../runstate/identity";
import type { RunProfile, RunRecord } from "../runstate/record";
import type { PublishRecord, RunTiming } from "../runstate/store";

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
  // What the run state must record of it (PublishLog writes it).
  record: PublishRecord;
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
// by hand or by ALERT_AUTO_DISABLE_DESTINATION); others are not. Outpost's
// usual answer never gets here (eventOutcome reads it without parsing); runs
// inside k6, whose interpreter makes every closure and array copy count: plain
// loops only.
export function routingOf(run: PublishRun, profile: ProfileLayout, seq: number, answered: string[] | null): Routing {
  const per = profile.destinationsPerTenant;
  // The tenant's first destination (identity.ts destinationIndexes), without an array per event.
  const first = profile.firstDestination + (tenantOfSeq(profile, seq) - profile.firstTenant) * per;
  const expected: string[] = [];
  const routed: boolean[] = [];
  for (let j = 0; j < per; j++) {
    expected.push(destinationId(run.testId, profile, first + j));
    routed.push(answered === null);
  }
  if (answered === null) return { routed, unexplained: "routing_unreadable", mismatch: true };
  let unexpected = false;
  let listed = 0;
  for (const id of answered) {
    const j = expected.indexOf(id);
    if (j < 0) unexpected = true;
    else if (!routed[j]) {
      routed[j] = true;
      listed++;
    }
  }
  return { routed, unexplained: unexpected ? "routing_unexpected" : null, mismatch: unexpected || listed < per };
}

// One shared routing per fan-out for Outpost's usual answer: nothing per event
// to allocate (callers only read it).
const everywhere = new Map<number, Routing>();
function allRouted(per: number): Routing {
  let r = everywhere.get(per);
  if (r === undefined) {
    r = { routed: Array.from({ length: per }, () => true), unexplained: null, mismatch: false };
    everywhere.set(per, r);
  }
  return r;
}

// A short, bounded name for a transport failure (it becomes a Redis hash field).
export function errorKind(error: string): string {
  if (/timeout|timed out|ETIMEDOUT|aborted/i.test(error)) return "timeout";
  if (/refused/i.test(error)) return "refused";
  if (/reset|ECONNRESET|EPIPE|broken pipe/i.test(error)) return "reset";
  if (/no such host|ENOTFOUND|EAI_AGAIN|lookup/i.test(error)) return "dns";
  return "network";
}

// What every publish of a profile's tenant shares, built once per VU and
// profile (k6's interpreter makes each string built per event count): the
// publish body's shared part (publishShared), and the destination_ids member
// of Outpost's usual answer, which lists all the tenant's destinations in the
// order the run created them (internal/publishmq/eventhandler.go HandleResult,
// compact JSON from gin's c.JSON). Event ids and t0 hold no character JSON
// would escape (identity.ts), so they are quoted as they are.
interface TenantTexts {
  idPrefix: string;
  shared: string[];
  routedToAll: string[];
}
const tenantTexts = new WeakMap<ProfileLayout, TenantTexts>();

function textsOf(run: PublishRun, profile: PublishProfile): TenantTexts {
  let texts = tenantTexts.get(profile);
  if (texts === undefined) {
    // eventId(testId, profile, 0) without its 0.
    texts = { idPrefix: eventId(run.testId, profile, 0).slice(0, -1), shared: [], routedToAll: [] };
    for (let t = profile.firstTenant; t < profile.firstTenant + profile.tenants; t++) {
      texts.shared.push(publishShared(tenantId(run.testId, profile, t), profile.topic, profile.retry));
      const first = profile.firstDestination + (t - profile.firstTenant) * profile.destinationsPerTenant;
      const ids: string[] = [];
      for (let d = first; d < first + profile.destinationsPerTenant; d++)
        ids.push(destinationId(run.testId, profile, d));
      texts.routedToAll.push(`"destination_ids":${JSON.stringify(ids)}`);
    }
    tenantTexts.set(profile, texts);
  }
  return texts;
}

// Outpost accepted the event (not a duplicate) and routed it to every
// destination of its tenant, read without parsing the answer: the ids hold no
// character JSON would escape, so the texts are exact.
function acceptedToAll(run: PublishRun, profile: PublishProfile, seq: number, res: HttpResponse): boolean {
  return (
    res.status >= 200 &&
    res.status <= 299 &&
    res.body.includes('"duplicate":false') &&
    res.body.includes(textsOf(run, profile).routedToAll[tenantOfSeq(profile, seq) - profile.firstTenant])
  );
}

// t0 is when the event was due, so the generator's own lag counts in end-to-end latency.
export function t0Of(timing: EventTiming): number {
  return timing.scheduledMs ?? timing.startedMs;
}

// The request that publishes event `seq` of a profile. The caller sends it (in
// k6 without a promise: adapters/k6/http.ts requestBlocking) and hands
// Outpost's answer to eventOutcome.
export function eventRequest(
  deps: PublishDeps,
  run: PublishRun,
  profile: PublishProfile,
  seq: number,
  timing: EventTiming,
): HttpRequest {
  const texts = textsOf(run, profile);
  return deps.outpost.publishRequestOf(
    publishBody(
      `"${texts.idPrefix}${seq}"`,
      texts.shared[tenantOfSeq(profile, seq) - profile.firstTenant],
      deps.payload(profile.index, seq),
      `{"${T0_METADATA_KEY}":"${t0Of(timing).toFixed(3)}"}`,
    ),
  );
}

// What Outpost's answer (acknowledged at t2Ms) means for event `seq` of a
// profile, and what the run state must record of it (the caller's PublishLog
// writes that).
export function eventOutcome(
  run: PublishRun,
  profile: PublishProfile,
  seq: number,
  timing: EventTiming,
  answer: HttpResponse,
  t2Ms: number,
): EventOutcome {
  const latencyMs = t2Ms - timing.startedMs;
  const usual = acceptedToAll(run, profile, seq, answer);
  const res = usual ? null : publishResult(answer);
  if (res === null || res.kind === "accepted") {
    const routing =
      res === null ? allRouted(profile.destinationsPerTenant) : routingOf(run, profile, seq, res.destinationIds);
    const unscheduled = timing.scheduledMs === null;
    // Allocated only for the rare event that needs one.
    let counters: string[] | undefined;
    if (routing.unexplained !== null) counters = [routing.unexplained];
    if (unscheduled) counters = [...(counters ?? []), "t0_unscheduled"];
    return {
      verdict: "accepted",
      latencyMs,
      routingMismatch: routing.mismatch,
      record: {
        kind: "accepted",
        seq,
        t0Ms: t0Of(timing),
        startedMs: unscheduled ? undefined : timing.startedMs,
        t2Ms,
        // Absent when routed everywhere (the usual answer): nothing to read per event.
        routed: routing.mismatch ? routing.routed : undefined,
        counters,
      },
    };
  }
  const reason =
    res.kind === "duplicate"
      ? "duplicate"
      : res.kind === "rejected"
        ? `rejected:${res.status}`
        : `error:${errorKind(res.error)}`;
  return {
    verdict: res.kind,
    reason,
    latencyMs,
    routingMismatch: false,
    record: { kind: "not_accepted", seq, reason },
  };
}
