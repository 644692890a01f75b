import type { ResourceSeries } from "../resources/prometheus-resources";
import { STAGES, type Stage } from "../runstate/keys";
import type { LostRunReport } from "../verify/lost-run";
import type { VerifyReport } from "../verify/report";
import type { Outcome } from "../verify/verdict";

export interface StepLatency {
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

// One constant-rate run of the search, verified.
export interface CapacityStep {
  testId: string;
  // Events/s the step asked k6 for.
  offeredPerSecond: number;
  // What happened: accepted publishes per second of the step, first deliveries per
  // second from the step's start to its last delivery.
  publishedPerSecond: number | null;
  deliveredPerSecond: number | null;
  // Iterations k6 could not start on time (its dropped_iterations).
  droppedIterations: number;
  accepted: number;
  delivered: number;
  missing: number;
  inFlight: number;
  deliveredRatio: number | null;
  latency: Record<Stage, StepLatency>;
  // verify's outcome for the step's run: only PASS can hold (INCOMPLETE and VOID do not).
  outcome: Outcome;
  // Verify's failed checks, plus "k6 dropped N iterations" and "not every delivery arrived".
  reasons: string[];
  // held: verify's outcome PASS (SLO included), 100% delivered, at most 1% of the iterations dropped.
  held: boolean;
  // The load window of the step (the run's start + its duration).
  startMs: number;
  endMs: number;
  // With PROMETHEUS_URL: the resource series within the step's window.
  resources: ResourceSeries[];
}

// k6 may drop an iteration or two while it starts VUs; more than this share of
// a step's iterations means the load generator did not offer the rate.
export const MAX_DROPPED_RATIO = 0.01;

// First deliveries per second from the step's start to its last delivery (at
// least the step's length): what the system sustained, lag included. verify's
// own rate counts whole epoch seconds and reads a 20 s step about 5% low.
function deliveredRate(report: VerifyReport, durationMs: number): number | null {
  const last = report.throughput.delivered?.lastSecond;
  if (last === undefined) return null;
  const spanMs = Math.max(durationMs, (last + 1) * 1000 - report.run.startedAtMs);
  return report.ledger.totals.delivered / (spanMs / 1000);
}

export function capacityStepOf(
  offeredPerSecond: number,
  report: VerifyReport,
  droppedIterations: number,
  durationMs: number,
): CapacityStep {
  const latency = {} as Record<Stage, StepLatency>;
  for (const stage of STAGES) {
    const s = report.latency.stages[stage];
    latency[stage] = { samples: s.count, p50Ms: s.p50Ms, p99Ms: s.p99Ms };
  }
  const t = report.ledger.totals;
  const reasons = [...report.verdict.reasons];
  const planned = Math.round((offeredPerSecond * durationMs) / 1000);
  if (droppedIterations > MAX_DROPPED_RATIO * planned)
    reasons.push(
      `k6 dropped ${droppedIterations} of ${planned} iterations (more than ${MAX_DROPPED_RATIO * 100}%): the rate was not offered`,
    );
  if (report.outcome === "PASS" && report.ledger.deliveredRatio !== 1)
    reasons.push(`delivered ${t.delivered} of ${t.accepted} (the search needs every delivery)`);
  return {
    testId: report.testId,
    offeredPerSecond,
    publishedPerSecond: t.accepted / (durationMs / 1000),
    deliveredPerSecond: deliveredRate(report, durationMs),
    droppedIterations,
    accepted: t.accepted,
    delivered: t.delivered,
    missing: t.missing,
    inFlight: t.inFlight,
    deliveredRatio: report.ledger.deliveredRatio,
    latency,
    outcome: report.outcome,
    reasons,
    held: report.outcome === "PASS" && reasons.length === 0,
    startMs: report.run.startedAtMs,
    endMs: report.run.startedAtMs + durationMs,
    resources: [],
  };
}

// A step whose run record was lost (verify says VOID): nothing of it can be
// counted; startMs is when the tool started the step's run.
export function lostCapacityStep(
  offeredPerSecond: number,
  lost: LostRunReport,
  droppedIterations: number,
  startMs: number,
  durationMs: number,
): CapacityStep {
  const latency = {} as Record<Stage, StepLatency>;
  for (const stage of STAGES) latency[stage] = { samples: 0, p50Ms: null, p99Ms: null };
  return {
    testId: lost.testId,
    offeredPerSecond,
    publishedPerSecond: null,
    deliveredPerSecond: null,
    droppedIterations,
    accepted: 0,
    delivered: 0,
    missing: 0,
    inFlight: 0,
    deliveredRatio: null,
    latency,
    outcome: lost.outcome,
    reasons: lost.verdict.reasons,
    held: false,
    startMs,
    endMs: startMs + durationMs,
    resources: [],
  };
}
