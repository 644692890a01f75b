import { eventId, type ProfileLayout } from "../runstate/identity";
import { RedisUnavailableError } from "../runstate/redis-unavailable";
import { PublishBatch } from "../runstate/publish-batch";
import type { PublishRecord, RunStateStore, RunTiming } from "../runstate/store";
import { type ArrivalRateScenario, plannedEvents } from "./load-profile";
import { arrivalOffsetMs } from "./schedule";

// Publish outcomes of one traffic profile that one VU keeps until it writes them
// to the run state in one script call (RunStateStore.recordPublishes). One Redis call per event was most
// of what throughput cost beyond a bare k6 publish (npm run bench:generator).
//
// A VU writes what it keeps inside one of its own iterations, never anywhere
// else: k6's teardown runs in a VU of its own, which sees none of these, and a
// timer would hold the iteration open until it fires. So it writes when it has
// MAX_EVENTS, when the oldest is MAX_AGE_MS old at its next iteration, and in
// every iteration from the point where it may not get another one (holdUntilMs).
// Outcomes kept when k6 dies (SIGKILL, a crash) are lost: verify shows their
// deliveries as "delivered, publish ack not recorded" (docs/loadtest.md).
export const PUBLISH_LOG_LIMITS = { maxEvents: 100, maxAgeMs: 1000 };

// A write to the run state failed: from here on the ledger cannot account for
// what Outpost accepted, so the run is void and must stop.
export class RunStateWriteError extends Error {
  constructor(
    // The events whose outcomes were not written, e.g. "the publishes of run-1_7 and 41 more".
    readonly events: string,
    readonly reason: string,
    // Redis could not be reached at all (the reason then names REDIS_URL).
    readonly unavailable: boolean,
  ) {
    super(`recording ${events} failed: ${reason}`);
    this.name = "RunStateWriteError";
  }
}

// The one line throughput stops the test with.
export function runStateLostLine(err: RunStateWriteError, shownRedisUrl: string): string {
  const cause = err.unavailable ? err.reason : `REDIS_URL=${shownRedisUrl} refused the write (${err.reason})`;
  return `run state lost: recording ${err.events} failed: ${cause}; this run is void, stopping the test (no further publish starts)`;
}

export class PublishLog {
  private kept: PublishBatch;
  private oldestMs = 0;

  constructor(
    private readonly store: RunStateStore,
    private readonly run: RunTiming & { testId: string },
    private readonly profile: ProfileLayout,
    private readonly limits = PUBLISH_LOG_LIMITS,
  ) {
    this.kept = this.emptyBatch();
  }

  private emptyBatch(): PublishBatch {
    return new PublishBatch(this.store.keys, this.run, this.profile);
  }

  get size(): number {
    return this.kept.size;
  }

  // Keeps an outcome (nowMs: when it became known). True when the caller must
  // flush before its iteration ends: a limit is reached, or `last` says this
  // iteration may be the VU's last. Synchronous, so the iterations that only
  // keep an outcome need no promise (each costs k6 microseconds).
  add(record: PublishRecord, nowMs: number, last: boolean): boolean {
    if (this.kept.size === 0) this.oldestMs = nowMs;
    this.kept.add(record);
    return last || this.kept.size >= this.limits.maxEvents || nowMs - this.oldestMs >= this.limits.maxAgeMs;
  }

  // Throws RunStateWriteError; the outcomes are not kept for another try (the run is void).
  async flush(): Promise<void> {
    const batch = this.kept;
    if (batch.size === 0) return;
    this.kept = this.emptyBatch();
    try {
      await this.store.writePublishes(batch);
    } catch (err) {
      const first = `the publish${batch.size > 1 ? "es" : ""} of ${eventId(this.run.testId, this.profile, batch.firstSeq)}`;
      throw new RunStateWriteError(
        batch.size > 1 ? `${first} and ${batch.size - 1} more` : first,
        (err as Error)?.message ?? String(err),
        err instanceof RedisUnavailableError,
      );
    }
  }
}

// Until when (ms after the scenario's start) a VU may keep outcomes for a later
// iteration of its own. k6 v1.1.0 hands each iteration to the VU that has waited
// longest: every VU's goroutine ranges over one unbuffered channel, whose
// waiting receivers Go serves in arrival order (activeVUPool in
// lib/executor/ramping_arrival_rate.go, used by both arrival-rate executors), and
// while any VU waits no iteration is dropped. So a VU that finishes an iteration
// runs again as long as at least `vus` iterations remain to start after that
// moment (vus: the most VUs the scenario can have). -Infinity: never keep.
export function holdOffsetMs(scenario: ArrivalRateScenario, vus: number): number {
  const index = plannedEvents(scenario) - vus - 1;
  return (index < 0 ? null : arrivalOffsetMs(scenario, index)) ?? -Infinity;
}

// Slack for the VU's own way back to k6's queue (the rest of its iteration, a
// pause of the process) and for k6's ticker running late at the end: a tick due
// before the scenario's end that fires after it may not start. Not the
// iteration's own lag: after a dropped iteration that grows by the drops so far
// (src/publish/schedule.ts), not by how late the ticker runs.
export const HOLD_MARGIN_MS = 250;

// True when a VU finishing an iteration at nowMs may not get another one, so
// it must write what it keeps before the iteration ends (scenarioStartMs:
// exec.scenario.startTime).
export function mayBeLastIteration(holdOffset: number, scenarioStartMs: number, nowMs: number): boolean {
  return nowMs + HOLD_MARGIN_MS >= scenarioStartMs + holdOffset;
}
