import { type Histogram, mergeHistograms, RELATIVE_PRECISION, summarize } from "../runstate/histogram";
import { STAGES, type Stage } from "../runstate/keys";
import type { RunRecord } from "../runstate/record";
import type { RunStateStore } from "../runstate/store";
import { type StageDistributions, stageDistributions } from "./latency-distribution";

// JSON-safe: an empty stage has count 0 and nulls, never NaN.
export interface StageLatency {
  count: number;
  meanMs: number | null;
  minMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  // Samples whose clock difference was negative, recorded as 0 (clock skew
  // between hosts, a clock step, or for queue an attempt before the ack).
  belowZero: number;
}

export type StageLatencies = Record<Stage, StageLatency>;

// Bucket error of a percentile, plus the millisecond resolution of k6's
// timestamps (t0, t2); min and max are exact up to that resolution, the mean
// comes from the buckets like the percentiles.
export const LATENCY_PRECISION = {
  relative: RELATIVE_PRECISION,
  timestampResolutionMs: 1,
  statement: `percentiles within ${(RELATIVE_PRECISION * 100).toFixed(2)}% of the true value, plus 1 ms timestamp resolution; mean likewise; min and max exact to 1 ms`,
};

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function stageLatency(h: Histogram): StageLatency {
  const s = summarize(h);
  return {
    count: s.count,
    meanMs: orNull(s.meanMs),
    minMs: orNull(s.minMs),
    p50Ms: orNull(s.p50Ms),
    p90Ms: orNull(s.p90Ms),
    p95Ms: orNull(s.p95Ms),
    p99Ms: orNull(s.p99Ms),
    maxMs: orNull(s.maxMs),
    belowZero: s.belowZero,
  };
}

export function stageLatencies(histograms: Record<Stage, Histogram>): StageLatencies {
  const out = {} as StageLatencies;
  for (const stage of STAGES) out[stage] = stageLatency(histograms[stage]);
  return out;
}

// The summaries and the histograms behind them, from one read of the latency
// hashes: over the whole run (the profiles' histograms added up) and per profile.
export async function readStageLatencies(
  store: RunStateStore,
  record: RunRecord,
): Promise<{ stages: StageLatencies; distribution: StageDistributions; profiles: StageLatencies[] }> {
  const perProfile: Array<Record<Stage, Histogram>> = [];
  for (const p of record.profiles) perProfile.push(await store.stageHistograms(p));
  const total = {} as Record<Stage, Histogram>;
  for (const stage of STAGES) total[stage] = mergeHistograms(perProfile.map((h) => h[stage]));
  return {
    stages: stageLatencies(total),
    distribution: stageDistributions(total),
    profiles: perProfile.map(stageLatencies),
  };
}
