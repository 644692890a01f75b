import { bucketBoundsUs, type Histogram } from "../runstate/histogram";
import { STAGES, type Stage } from "../runstate/keys";

// One histogram bucket as [from ms, to ms, samples]: values in [from, to).
export type DistributionBin = [fromMs: number, toMs: number, count: number];

// Each stage's non-empty buckets in ascending order: the whole distribution
// behind the percentiles, for charts and for comparing runs.
export type StageDistributions = Record<Stage, DistributionBin[]>;

// Six significant digits keep the JSON short; buckets are 2% wide.
const round = (ms: number): number => Number(ms.toPrecision(6));

export function distributionOf(h: Histogram): DistributionBin[] {
  return Array.from(h.buckets.entries())
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([index, count]): DistributionBin => {
      const [lower, upper] = bucketBoundsUs(index);
      return [round(lower / 1000), round(upper / 1000), count];
    });
}

export function stageDistributions(histograms: Record<Stage, Histogram>): StageDistributions {
  const out = {} as StageDistributions;
  for (const stage of STAGES) out[stage] = distributionOf(histograms[stage]);
  return out;
}
