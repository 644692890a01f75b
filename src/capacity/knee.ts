import { RESOURCE_QUERIES } from "../resources/resource-queries";
import { MEASURED_STAGES, type Stage } from "../runstate/keys";
import type { CapacityStep } from "./capacity-step";

// A stage "grew" once its p99 is GROWTH_FACTOR times the first step's (taken
// as at least 1 ms: a queue stage can start near 0) and at least GROWTH_MIN_MS
// above it (a 1 -> 2 ms change is noise, not a trend).
export const GROWTH_FACTOR = 2;
export const GROWTH_MIN_MS = 5;
// CPU: a process group at 90% of its ceiling (one core for single-threaded
// Redis, the machine's cores otherwise). Queues: a depth that kept growing by
// more than BACKLOG_MIN messages within a step (deliveries no longer keep up).
export const CPU_SATURATION = 0.9;
export const BACKLOG_MIN = 100;

export interface StageGrowth {
  stage: Stage;
  atRate: number;
  baselineRate: number;
  baselineP99Ms: number;
  p99Ms: number;
  factor: number;
}

export interface Saturation {
  atRate: number;
  resource: string;
  series: string;
  detail: string;
}

export interface CapacityFindings {
  // The highest step below the first failed one that held (null: none held).
  knee: CapacityStep | null;
  firstFailure: CapacityStep | null;
  stageGrewFirst: StageGrowth | null;
  // Every resource that saturated at the lowest step where any did.
  saturatedFirst: Saturation[];
}

// The component stages (publish, queue, delivery); e2e is their sum and grows
// with any of them, so it is named only when no component was measured.
const COMPONENTS: readonly Stage[] = MEASURED_STAGES.filter((s) => s !== "e2e");

// The first step (after the lowest) where a stage's p99 grew, and of the stages
// that grew there the one that grew most in ms: what the added latency is made of.
export function stageGrewFirst(steps: CapacityStep[]): StageGrowth | null {
  const base = steps[0];
  if (base === undefined) return null;
  const measured = COMPONENTS.filter((stage) => base.latency[stage].p99Ms !== null);
  const candidates = measured.length > 0 ? measured : (["e2e"] as Stage[]);
  for (const step of steps.slice(1)) {
    let best: StageGrowth | null = null;
    for (const stage of candidates) {
      const b = base.latency[stage].p99Ms;
      const v = step.latency[stage].p99Ms;
      if (b === null || v === null) continue;
      const grew = v >= GROWTH_FACTOR * Math.max(b, 1) && v - b >= GROWTH_MIN_MS;
      if (grew && (best === null || v - b > best.p99Ms - best.baselineP99Ms))
        best = {
          stage,
          atRate: step.offeredPerSecond,
          baselineRate: base.offeredPerSecond,
          baselineP99Ms: b,
          p99Ms: v,
          factor: v / Math.max(b, 1),
        };
    }
    if (best !== null) return best;
  }
  return null;
}

// A queue that kept growing through the step: its last third all above its
// first third, and by more than BACKLOG_MIN on average. A queue that fills and
// drains in batches does not.
export function backlogGrew(points: Array<[number, number]>): boolean {
  const third = Math.floor(points.length / 3);
  if (third === 0) return false;
  const head = points.slice(0, third).map((p) => p[1]);
  const tail = points.slice(-third).map((p) => p[1]);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.min(...tail) > Math.max(...head) && mean(tail) - mean(head) > BACKLOG_MIN;
}

// Only the delivery queue (not its dead-letter queue) shows deliveries falling
// behind: Outpost's log queue is consumed in batches (LOG_BATCH_SIZE,
// LOG_BATCH_THRESHOLD_SECONDS), so its depth rises with the rate by design.
export const isDeliveryQueue = (name: string): boolean => /delivery/.test(name) && !/dlq/.test(name);

const SATURATES = new Map(RESOURCE_QUERIES.map((q) => [q.id, q.saturation]));

function saturatedIn(step: CapacityStep, cpuCores: number): Saturation[] {
  const out: Saturation[] = [];
  for (const s of step.resources) {
    const kind = SATURATES.get(s.query);
    if (kind === "cpu") {
      const ceiling = /redis/i.test(s.name) ? 1 : cpuCores;
      if (s.mean >= CPU_SATURATION * ceiling)
        out.push({
          atRate: step.offeredPerSecond,
          resource: s.title,
          series: s.name,
          detail: `${s.mean.toFixed(2)} of ${ceiling} core(s) on average`,
        });
    } else if (kind === "backlog" && isDeliveryQueue(s.name) && backlogGrew(s.points)) {
      out.push({
        atRate: step.offeredPerSecond,
        resource: s.title,
        series: s.name,
        detail: `grew from ${Math.round(s.first)} to ${Math.round(s.last)} messages during the step`,
      });
    }
  }
  return out;
}

// The steps in ascending rate, as run (the search stops after the first failure).
export function analyseSteps(steps: CapacityStep[], cpuCores: number): CapacityFindings {
  const failedAt = steps.findIndex((s) => !s.held);
  const held = (failedAt < 0 ? steps : steps.slice(0, failedAt)).filter((s) => s.held);
  let saturatedFirst: Saturation[] = [];
  for (const step of steps) {
    saturatedFirst = saturatedIn(step, cpuCores);
    if (saturatedFirst.length > 0) break;
  }
  return {
    knee: held[held.length - 1] ?? null,
    firstFailure: failedAt < 0 ? null : steps[failedAt],
    stageGrewFirst: stageGrewFirst(steps),
    saturatedFirst,
  };
}
