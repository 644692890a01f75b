import { type Histogram, mergeHistograms, percentileMs, WINDOW_RELATIVE_PRECISION } from "../runstate/histogram";
import { STAGES, type Stage } from "../runstate/keys";
import { type LatencyWindowPlan, type LoadStep, windowOf } from "../runstate/latency-windows";
import type { RunRecord } from "../runstate/record";
import type { RunStateStore } from "../runstate/store";
import type { TimelinePoint } from "./throughput";

// Percentiles of one stage in one window or step; null without samples.
export interface PeriodLatency {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface LatencyPeriod {
  // Epoch ms: the period covers events whose t0 is in [startMs, endMs).
  startMs: number;
  endMs: number;
  stages: Record<Stage, PeriodLatency>;
}

export interface LatencyWindow extends LatencyPeriod {
  index: number;
}

export interface LatencyStep extends LatencyPeriod {
  // 1-based, as in "step 3 of 5".
  step: number;
  // Offered events/s on the step's plateau.
  rate: number;
}

export interface LatencyOverTime {
  windowMs: number;
  // Relative precision of these percentiles (coarser buckets than the run-wide ones).
  relativePrecision: number;
  // Every window from the first to the last with samples, empty ones included.
  windows: LatencyWindow[];
  // PROFILE=step only: the windows of each step added up.
  steps: LatencyStep[];
}

type StageHistograms = Record<Stage, Histogram>;

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function periodLatency(h: Histogram | undefined): PeriodLatency {
  if (h === undefined || h.count === 0) return { count: 0, p50Ms: null, p90Ms: null, p95Ms: null, p99Ms: null };
  return {
    count: h.count,
    p50Ms: orNull(percentileMs(h, 50)),
    p90Ms: orNull(percentileMs(h, 90)),
    p95Ms: orNull(percentileMs(h, 95)),
    p99Ms: orNull(percentileMs(h, 99)),
  };
}

function stagesOf(histograms: StageHistograms[]): Record<Stage, PeriodLatency> {
  const out = {} as Record<Stage, PeriodLatency>;
  for (const stage of STAGES) {
    out[stage] = periodLatency(histograms.length === 0 ? undefined : mergeHistograms(histograms.map((h) => h[stage])));
  }
  return out;
}

// The step a window belongs to, by its midpoint (windows tile steps exactly);
// windows past the plan's end (events started in k6's graceful stop) belong to the last.
function stepOf(steps: LoadStep[], plan: LatencyWindowPlan, index: number): number {
  const mid = (index + 0.5) * plan.windowMs;
  const i = steps.findIndex((s) => mid >= s.startMs && mid < s.endMs);
  return i >= 0 ? i : steps.length - 1;
}

export function latencyOverTime(
  record: Pick<RunRecord, "startedAtMs" | "latencyWindows">,
  byWindow: Map<number, StageHistograms>,
): LatencyOverTime {
  const plan = record.latencyWindows;
  const at = (offsetMs: number): number => Math.round(record.startedAtMs + offsetMs);
  const indexes = Array.from(byWindow.keys());
  const last = indexes.length === 0 ? -1 : indexes.reduce((a, b) => Math.max(a, b));
  const first = indexes.length === 0 ? 0 : indexes.reduce((a, b) => Math.min(a, b));
  const windows: LatencyWindow[] = [];
  for (let index = first; index <= last; index++) {
    const h = byWindow.get(index);
    windows.push({
      index,
      startMs: at(index * plan.windowMs),
      endMs: at((index + 1) * plan.windowMs),
      stages: stagesOf(h === undefined ? [] : [h]),
    });
  }
  const perStep: StageHistograms[][] = plan.steps.map(() => []);
  if (plan.steps.length > 0) for (const [index, h] of byWindow) perStep[stepOf(plan.steps, plan, index)].push(h);
  const steps = plan.steps.map(
    (s, i): LatencyStep => ({
      step: i + 1,
      rate: s.rate,
      startMs: at(s.startMs),
      endMs: at(s.endMs),
      stages: stagesOf(perStep[i]),
    }),
  );
  return { windowMs: plan.windowMs, relativePrecision: WINDOW_RELATIVE_PRECISION, windows, steps };
}

// A badly skewed clock must not make verify read windows for days: more than
// this many windows past the start are not read.
const MAX_WINDOWS_READ = 5_000;

// Reads windows 0 up to the one holding the last accepted publish (an event's
// t0 is never after its publish ack).
export async function readLatencyOverTime(
  store: RunStateStore,
  record: RunRecord,
  timeline: TimelinePoint[],
): Promise<LatencyOverTime> {
  const plan = record.latencyWindows;
  const published = timeline.filter((p) => p.published > 0);
  const lastMs = published.length === 0 ? -1 : (published[published.length - 1].second + 1) * 1000 - 1;
  const last = Math.min(windowOf(plan, record.startedAtMs, lastMs), MAX_WINDOWS_READ);
  return latencyOverTime(record, await store.latencyWindowHistograms(last));
}
