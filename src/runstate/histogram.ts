// Log-bucketed latency histograms (HDR-style) kept in Redis hashes.
//
// Values are recorded in microseconds. Bucket i >= 1 holds values in
// [GAMMA^(i-1), GAMMA^i); bucket 0 holds values below 1 µs. Reporting the
// harmonic midpoint of a bucket bounds the relative error by
// (GAMMA-1)/(GAMMA+1), just under 1% for GAMMA = 1.02. The encoder exists only
// as Lua (LUA_BUCKET) so every writer, k6 or mock, buckets identically on the
// server; this module decodes.
//
// Hash fields: "<bucket index>" -> count, plus n, sum (µs), min, max (exact),
// below_zero (differences recorded as 0, see record_difference).

export const GAMMA = 1.02;
export const RELATIVE_PRECISION = (GAMMA - 1) / (GAMMA + 1);
const LOG_GAMMA = Math.log(GAMMA);

// Lua: record_hist records value v (µs, number) into histogram hash key k; a
// negative v means "no sample". record_difference records a difference of two
// clocks' stamps, counting (field below_zero) and recording as 0 the ones that
// came out negative: for the queue stage that is an attempt Outpost started
// before k6 saw the publish ack, which is worth showing rather than hiding.
// Expects a function expire_nx(key) from the enclosing script.
export const LUA_RECORD_HISTOGRAM = `
local function record_hist(k, v)
  if v < 0 then return end
  local b = 0
  if v >= 1 then b = math.floor(math.log(v) / ${LOG_GAMMA.toPrecision(17)}) + 1 end
  redis.call('HINCRBY', k, tostring(b), 1)
  redis.call('HINCRBY', k, 'n', 1)
  redis.call('HINCRBY', k, 'sum', math.floor(v))
  local mx = redis.call('HGET', k, 'max')
  if (not mx) or v > tonumber(mx) then redis.call('HSET', k, 'max', math.floor(v)) end
  local mn = redis.call('HGET', k, 'min')
  if (not mn) or v < tonumber(mn) then redis.call('HSET', k, 'min', math.floor(v)) end
  expire_nx(k)
end
local function record_difference(k, v)
  if v < 0 then
    redis.call('HINCRBY', k, 'below_zero', 1)
    v = 0
  end
  record_hist(k, v)
end
`;

export interface Histogram {
  buckets: Map<number, number>;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  belowZero: number;
}

export function emptyHistogram(): Histogram {
  return { buckets: new Map(), count: 0, sumUs: 0, minUs: Infinity, maxUs: -Infinity, belowZero: 0 };
}

// Representative value of a bucket in µs: the harmonic midpoint of its bounds,
// which minimises the worst relative error.
export function bucketValueUs(index: number): number {
  if (index <= 0) return 0;
  const lower = Math.exp((index - 1) * LOG_GAMMA);
  const upper = Math.exp(index * LOG_GAMMA);
  return (2 * lower * upper) / (lower + upper);
}

// Decodes a histogram hash (field -> value) into a Histogram.
export function histogramFromHash(fields: Record<string, string>): Histogram {
  const h = emptyHistogram();
  for (const [field, raw] of Object.entries(fields)) {
    const value = Number(raw);
    if (field === "n") h.count = value;
    else if (field === "sum") h.sumUs = value;
    else if (field === "min") h.minUs = value;
    else if (field === "max") h.maxUs = value;
    else if (field === "below_zero") h.belowZero = value;
    else h.buckets.set(Number(field), value);
  }
  return h;
}

export function mergeHistograms(parts: Histogram[]): Histogram {
  const out = emptyHistogram();
  for (const p of parts) {
    for (const [b, c] of p.buckets) out.buckets.set(b, (out.buckets.get(b) ?? 0) + c);
    out.count += p.count;
    out.sumUs += p.sumUs;
    out.minUs = Math.min(out.minUs, p.minUs);
    out.maxUs = Math.max(out.maxUs, p.maxUs);
    out.belowZero += p.belowZero;
  }
  return out;
}

// Nearest-rank percentile (p in [0, 100]) in milliseconds, clamped to the exact
// min and max so p0/p100 are exact. NaN for an empty histogram.
export function percentileMs(h: Histogram, p: number): number {
  if (h.count === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * h.count));
  const indexes = Array.from(h.buckets.keys()).sort((a, b) => a - b);
  let seen = 0;
  for (const idx of indexes) {
    seen += h.buckets.get(idx) ?? 0;
    if (seen >= rank) {
      const v = Math.min(Math.max(bucketValueUs(idx), h.minUs), h.maxUs);
      return v / 1000;
    }
  }
  return h.maxUs / 1000;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  // Samples that came out negative and were recorded as 0.
  belowZero: number;
}

export function summarize(h: Histogram): LatencySummary {
  const empty = h.count === 0;
  return {
    count: h.count,
    meanMs: empty ? NaN : h.sumUs / h.count / 1000,
    minMs: empty ? NaN : h.minUs / 1000,
    p50Ms: percentileMs(h, 50),
    p90Ms: percentileMs(h, 90),
    p95Ms: percentileMs(h, 95),
    p99Ms: percentileMs(h, 99),
    maxMs: empty ? NaN : h.maxUs / 1000,
    belowZero: h.belowZero,
  };
}
