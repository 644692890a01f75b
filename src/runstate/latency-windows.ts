// Latency over time: every latency sample of an event also counts in the time
// window its t0 falls in (ms since the run's startedAtMs), so verify can show
// when latency started to climb, and per step of a step profile.

// One plateau of a step profile, ms since startedAtMs (the last one absorbs the rounding).
export interface LoadStep {
  rate: number;
  startMs: number;
  endMs: number;
}

// Written into the run record by throughput's setup. Windows tile the steps of
// a step profile exactly, so each window belongs to one step.
export interface LatencyWindowPlan {
  windowMs: number;
  steps: LoadStep[];
}

// The window of an event started at t0Ms; -1 (not recorded) for a t0 before the start.
export function windowOf(plan: LatencyWindowPlan, startedAtMs: number, t0Ms: number): number {
  if (t0Ms < startedAtMs) return -1;
  return Math.floor((t0Ms - startedAtMs) / plan.windowMs);
}
