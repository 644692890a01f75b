import { formatDuration, parseDurationMs } from "../config/env";
import type { LoadSettings } from "../config/throughput-settings";
import type { LoadStep } from "../runstate/latency-windows";

// k6 scenario objects, typed here because src/ cannot see @types/k6; the
// fields are k6's own (open model: arrival-rate executors only).
export interface RateStage {
  duration: string;
  target: number;
}

interface ArrivalRateBase {
  timeUnit: "1s";
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
}

export interface ConstantArrivalRate extends ArrivalRateBase {
  executor: "constant-arrival-rate";
  rate: number;
  duration: string;
}

export interface RampingArrivalRate extends ArrivalRateBase {
  executor: "ramping-arrival-rate";
  startRate: number;
  stages: RateStage[];
}

export type ArrivalRateScenario = ConstantArrivalRate | RampingArrivalRate;

// Rate changes that look instant are 1s linear edges: a zero-length stage is
// not something every k6 version treats the same way.
const EDGE_MS = 1000;
// Iterations still publishing when the load ends get this long to finish.
const GRACEFUL_STOP = "30s";

type Segment = [durationMs: number, target: number];

function ramping(l: LoadSettings, startRate: number, segments: Segment[]): RampingArrivalRate {
  return {
    executor: "ramping-arrival-rate",
    timeUnit: "1s",
    startRate,
    stages: segments.filter(([ms]) => ms > 0).map(([ms, target]) => ({ duration: formatDuration(ms), target })),
    preAllocatedVUs: l.preAllocatedVUs,
    maxVUs: l.maxVUs,
    gracefulStop: GRACEFUL_STOP,
  };
}

// The plateaus of the step profile: RATE/STEPS up to RATE, equal lengths; the
// rounding leftover goes to the top step so the total is exactly DURATION.
export function stepPlan(l: Pick<LoadSettings, "rate" | "steps" | "durationMs">): LoadStep[] {
  const stepMs = Math.floor(l.durationMs / l.steps);
  return Array.from({ length: l.steps }, (_, i) => ({
    rate: Math.max(1, Math.round((l.rate * (i + 1)) / l.steps)),
    startMs: i * stepMs,
    endMs: i === l.steps - 1 ? l.durationMs : (i + 1) * stepMs,
  }));
}

// Each step after the first begins with a 1s edge from the previous rate.
function stepSegments(l: LoadSettings): { first: number; segments: Segment[] } {
  const [first, ...rest] = stepPlan(l);
  const segments: Segment[] = [[first.endMs - first.startMs, first.rate]];
  for (const s of rest) segments.push([EDGE_MS, s.rate], [s.endMs - s.startMs - EDGE_MS, s.rate]);
  return { first: first.rate, segments };
}

// The whole load of a run as one k6 scenario. Stage durations always add up to DURATION.
export function scenarioForLoad(l: LoadSettings): ArrivalRateScenario {
  switch (l.profile) {
    case "constant":
      return {
        executor: "constant-arrival-rate",
        timeUnit: "1s",
        rate: l.rate,
        duration: formatDuration(l.durationMs),
        preAllocatedVUs: l.preAllocatedVUs,
        maxVUs: l.maxVUs,
        gracefulStop: GRACEFUL_STOP,
      };
    case "ramp":
    case "soak":
      return ramping(l, l.startRate, [
        [l.rampUpMs, l.rate],
        [l.durationMs - l.rampUpMs, l.rate],
      ]);
    case "spike": {
      const before = Math.floor((l.durationMs - l.spikeMs - 2 * EDGE_MS) / 2);
      const after = l.durationMs - l.spikeMs - 2 * EDGE_MS - before;
      return ramping(l, l.rate, [
        [before, l.rate],
        [EDGE_MS, l.spikeRate],
        [l.spikeMs, l.spikeRate],
        [EDGE_MS, l.rate],
        [after, l.rate],
      ]);
    }
    case "step": {
      const { first, segments } = stepSegments(l);
      return ramping(l, first, segments);
    }
  }
}

const parseMs = (d: string): number => parseDurationMs(d) ?? 0;

// Events the profile schedules (the area under the rate curve), for the console.
export function plannedEvents(s: ArrivalRateScenario): number {
  if (s.executor === "constant-arrival-rate") return Math.round((s.rate * parseMs(s.duration)) / 1000);
  let rate = s.startRate;
  let total = 0;
  for (const st of s.stages) {
    const ms = parseMs(st.duration);
    total += ((rate + st.target) / 2) * (ms / 1000);
    rate = st.target;
  }
  return Math.round(total);
}
