import { GAMMA } from "../runstate/histogram";
import { STAGES, type Stage } from "../runstate/keys";
import type { StageLatencies } from "../verify/latency";
import type { DistributionBin, StageDistributions } from "../verify/latency-distribution";
import type { LatencyOverTime, LatencyStep } from "../verify/latency-over-time";
import type { TimelinePoint } from "../verify/throughput";
import { type ChartSeries, type ChartSpec, stageColor } from "./chart-spec";

const NINES_STEP = 0.02;

const total = (bins: DistributionBin[]): number => bins.reduce((s, b) => s + b[2], 0);

// Nearest-rank percentile over the bins, valued like the report's percentiles:
// the bucket's harmonic midpoint clamped to the stage's exact min and max.
export function binPercentile(bins: DistributionBin[], p: number, minMs: number, maxMs: number): number | null {
  const n = total(bins);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(p * n));
  let seen = 0;
  for (const [from, to, count] of bins) {
    seen += count;
    if (seen >= rank) {
      const mid = from <= 0 ? 0 : (2 * from * to) / (from + to);
      return Math.min(Math.max(mid, minMs), maxMs);
    }
  }
  return maxMs;
}

// One line of a percentile chart: a histogram and its stage's exact min and max.
export interface CurveInput {
  label: string;
  color: string;
  dash?: boolean;
  bins: DistributionBin[];
  minMs: number | null;
  maxMs: number | null;
}

// Latency by percentile (HDR style): x = -log10(1 - p), so 90%, 99% and 99.9%
// are equally spaced and the tail is as visible as the median. A line ends
// where its sample count stops resolving finer percentiles, at the exact max.
export function percentileCurves(id: string, title: string, inputs: CurveInput[]): ChartSpec {
  const drawn = inputs.filter((c) => total(c.bins) > 0 && c.minMs !== null && c.maxMs !== null);
  const maxNines = Math.log10(Math.max(1, ...drawn.map((c) => total(c.bins))));
  const x: number[] = [];
  for (let v = 0; v < maxNines; v += NINES_STEP) x.push(Number(v.toFixed(4)));
  x.push(maxNines);
  const series: ChartSeries[] = drawn.map((c) => {
    const limit = Math.log10(total(c.bins));
    const min = c.minMs as number;
    const max = c.maxMs as number;
    return {
      label: c.label,
      color: c.color,
      dash: c.dash,
      values: x.map((v) => {
        if (v > limit + 1e-9) return null;
        return v > limit - 1e-9 ? max : binPercentile(c.bins, 1 - 10 ** -v, min, max);
      }),
    };
  });
  return { id, title, xKind: "nines", xLabel: "percentile", yLabel: "ms", yLog: true, x, series };
}

export function percentileCurveChart(
  id: string,
  distribution: StageDistributions,
  stages: StageLatencies,
  title = "Latency by percentile, per stage",
): ChartSpec {
  return percentileCurves(
    id,
    title,
    STAGES.map((stage) => ({
      label: stage,
      color: stageColor(stage),
      bins: distribution[stage],
      minMs: stages[stage].minMs,
      maxMs: stages[stage].maxMs,
    })),
  );
}

// Display bins are runs of BUCKETS_PER_DISPLAY_BIN consecutive histogram buckets
// (1.02^12: about 10 per decade), so every bucket falls inside exactly one bin.
const BUCKETS_PER_DISPLAY_BIN = 12;
const bucketIndex = (toMs: number): number => Math.round(Math.log(toMs * 1000) / Math.log(GAMMA));
const displayBin = (toMs: number): number => Math.floor(Math.max(0, bucketIndex(toMs) - 1) / BUCKETS_PER_DISPLAY_BIN);
const displayEdge = (k: number): number => Number((GAMMA ** (k * BUCKETS_PER_DISPLAY_BIN) / 1000).toPrecision(6));

// The histogram of each stage as a share of its samples, regrouped from the 2%
// buckets into about 10 bins per decade so the shape is readable.
export function distributionChart(
  id: string,
  distribution: StageDistributions,
  title = "Latency distribution per stage",
): ChartSpec {
  const perStage = new Map<Stage, Map<number, number>>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const stage of STAGES) {
    const bins = distribution[stage];
    const n = total(bins);
    if (n === 0) continue;
    const grouped = new Map<number, number>();
    for (const [, to, count] of bins) {
      const k = displayBin(to);
      grouped.set(k, (grouped.get(k) ?? 0) + (100 * count) / n);
      lo = Math.min(lo, k);
      hi = Math.max(hi, k);
    }
    perStage.set(stage, grouped);
  }
  const x: number[] = [];
  if (perStage.size > 0) for (let k = lo; k <= hi + 1; k++) x.push(displayEdge(k));
  const series: ChartSeries[] = Array.from(perStage.entries()).map(([stage, grouped]) => ({
    label: stage,
    color: stageColor(stage),
    paint: "step",
    values: x.map((_, i) => (i === x.length - 1 ? 0 : Number((grouped.get(lo + i) ?? 0).toFixed(3)))),
  }));
  return { id, title, xKind: "log", xLabel: "latency (ms)", yLabel: "% of samples", x, series };
}

// Published events, delivered events (first deliveries) and deliveries still
// owed per second; owed = what the events accepted so far owe (each times its
// profile's destinations per tenant) - delivered so far.
export function timelineChart(id: string, timeline: TimelinePoint[]): ChartSpec {
  let owed = 0;
  const inFlight = timeline.map((p) => {
    owed += p.owed - p.delivered;
    return owed;
  });
  return {
    id,
    title: "Published, delivered and in flight per second (UTC)",
    xKind: "time",
    xLabel: "time",
    yLabel: "per second",
    y2Label: "in flight",
    x: timeline.map((p) => p.second),
    series: [
      { label: "published (accepted events/s)", color: "#1f77b4", values: timeline.map((p) => p.published) },
      { label: "delivered (first deliveries/s)", color: "#2ca02c", values: timeline.map((p) => p.delivered) },
      { label: "in flight (deliveries owed)", color: "#ff7f0e", dash: true, axis: 2, values: inFlight },
    ],
  };
}

// p99 (solid) and p50 (dashed) of each stage per window, at the window's start:
// when latency began to climb, and in which stage first.
export function latencyOverTimeChart(id: string, overTime: LatencyOverTime): ChartSpec {
  const w = overTime.windows;
  const series: ChartSeries[] = [];
  for (const stage of STAGES) {
    if (!w.some((p) => p.stages[stage].count > 0)) continue;
    series.push(
      { label: `${stage} p99`, color: stageColor(stage), values: w.map((p) => p.stages[stage].p99Ms) },
      { label: `${stage} p50`, color: stageColor(stage), dash: true, values: w.map((p) => p.stages[stage].p50Ms) },
    );
  }
  return {
    id,
    title: `Latency over time: ${overTime.windowMs / 1000} s windows by event start (UTC)`,
    xKind: "time",
    xLabel: "window start",
    yLabel: "ms",
    yLog: true,
    x: w.map((p) => p.startMs / 1000),
    series,
  };
}

// PROFILE=step: p99 and p50 of each stage against the step's offered rate.
export function latencyByStepChart(id: string, steps: LatencyStep[]): ChartSpec {
  const series: ChartSeries[] = [];
  for (const stage of STAGES) {
    if (!steps.some((s) => s.stages[stage].count > 0)) continue;
    series.push(
      { label: `${stage} p99`, color: stageColor(stage), values: steps.map((s) => s.stages[stage].p99Ms) },
      {
        label: `${stage} p50`,
        color: stageColor(stage),
        dash: true,
        values: steps.map((s) => s.stages[stage].p50Ms),
      },
    );
  }
  return {
    id,
    title: "Latency per step against the offered rate",
    xKind: "linear",
    xLabel: "offered events/s",
    yLabel: "ms",
    yLog: true,
    x: steps.map((s) => s.rate),
    series,
  };
}
