import type { ResourceSeries } from "../resources/prometheus-resources";
import { STAGES, type Stage } from "../runstate/keys";
import type { VerifyReport } from "../verify/report";

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
  // What happened: accepted publishes and first deliveries per second (verify's rates).
  publishedPerSecond: number | null;
  deliveredPerSecond: number | null;
  // Iterations k6 could not start on time (its dropped_iterations): the rate was not offered.
  droppedIterations: number;
  accepted: number;
  delivered: number;
  missing: number;
  inFlight: number;
  deliveredRatio: number | null;
  latency: Record<Stage, StepLatency>;
  verdictPass: boolean;
  // Verify's failed checks, plus "k6 dropped N iterations" and "not every delivery arrived".
  reasons: string[];
  // held: verify passed (SLO included), 100% delivered, nothing dropped.
  held: boolean;
  // The load window of the step (the run's start + its duration).
  startMs: number;
  endMs: number;
  // With PROMETHEUS_URL: the resource series within the step's window.
  resources: ResourceSeries[];
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
  if (droppedIterations > 0)
    reasons.push(`k6 dropped ${droppedIterations} iteration(s): the rate was not offered in full`);
  if (report.verdict.pass && report.ledger.deliveredRatio !== 1)
    reasons.push(`delivered ${t.delivered} of ${t.accepted} (the search needs every delivery)`);
  return {
    testId: report.testId,
    offeredPerSecond,
    publishedPerSecond: report.throughput.published?.perSecond ?? null,
    deliveredPerSecond: report.throughput.delivered?.perSecond ?? null,
    droppedIterations,
    accepted: t.accepted,
    delivered: t.delivered,
    missing: t.missing,
    inFlight: t.inFlight,
    deliveredRatio: report.ledger.deliveredRatio,
    latency,
    verdictPass: report.verdict.pass,
    reasons,
    held: reasons.length === 0,
    startMs: report.run.startedAtMs,
    endMs: report.run.startedAtMs + durationMs,
    resources: [],
  };
}
