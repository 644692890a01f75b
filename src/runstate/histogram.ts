// Log-bucketed latency histograms (HDR-style) kept in Redis hashes.
//
// Values are recorded in microseconds. Bucket i >= 1 holds values in
// [GAMMA^(i-1), GAMMA^i); bucket 0 holds values below 1 µs. Reporting the
// harmonic midpoint of a bucket bounds the relative error by
// (GAMMA-1)/(GAMMA+1), just under 1% for GAMMA = 1.02. The encoder exists only
// as Lua (LUA_RECORD_HISTOGRAM) so every writer, k6 or mock, buckets identically on the
// server; this module decodes.
//
// Storage: every stage of one destination shares one hash (one key, one TTL);
// fields are "<stage>:<bucket index>" -> count, "<stage>:min" and
// "<stage>:max" (exact), "<stage>:below_zero" (differences recorded as 0, see
// record_difference). Count and mean come from the buckets: Redis time per
// event is what limits the harness, so a stage costs two commands per script
// call (a bucket and min/max), whatever the number of samples in it.

export const GAMMA = 1.02;
export const RELATIVE_PRECISION = (GAMMA - 1) / (GAMMA + 1);
const LOG_GAMMA = Math.log(GAMMA);

// Latency over time (one histogram per stage and time window) uses buckets
// WINDOW_COARSENING times as wide (GAMMA^4: within 3.96%), so a long run's
// windows stay a few fields each; trends need no finer resolution.
export const WINDOW_COARSENING = 4;
export const WINDOW_RELATIVE_PRECISION = (GAMMA ** WINDOW_COARSENING - 1) / (GAMMA ** WINDOW_COARSENING + 1);

// Lua: record_hist(k, s, v, kw, w) adds a sample of v µs (not negative) to
// stage s of the latency hash k. record_difference does the same for a
// difference of two stamps, recording as 0 and counting in <stage>:below_zero
// the ones that came out negative: every stage but publish subtracts one host's
// clock from another's (queue: Outpost's attempt start before k6 saw the ack;
// delivery: Outpost's clock ahead of the mock's; e2e: k6's ahead of the
// mock's), and publish one wall-clock reading from a later one, so a negative
// value is clock skew or a clock step, worth showing rather than hiding. The
// sample also counts in the hash kw of its time window, field
// "<stage>:<coarse bucket>", unless w < 0 (no window). One small hash per
// window, not one for the run: a hash of up to hash-max-listpack-entries
// fields is a list that HINCRBY scans (3-4 µs per call at a few hundred
// fields, seen in bench:scripts).
// Samples are gathered in the script and written by write_histograms() before
// it returns: one HINCRBY per bucket touched and one HMGET of min and max per
// stage, so a script recording a batch of events (PUBLISHES) writes each hash
// once. It sets a hash's TTL when a bucket came back as just created (the only
// way a field, and so the key, comes to exist). Expects expire_nx(key) from
// the enclosing script.
export const LUA_RECORD_HISTOGRAM = `
local pending_histograms, pending_windows = {}, {}
local function add_to(t, k, f, n)
  local fields = t[k]
  if not fields then
    fields = {}
    t[k] = fields
  end
  fields[f] = (fields[f] or 0) + n
end
local function pending(k, s)
  local stages = pending_histograms[k]
  if not stages then
    stages = {}
    pending_histograms[k] = stages
  end
  local h = stages[s]
  if not h then
    h = {buckets = {}, below = 0}
    stages[s] = h
  end
  return h
end
local function record_hist(k, s, v, kw, w)
  local h = pending(k, s)
  local b = 0
  if v >= 1 then b = math.floor(math.log(v) / ${LOG_GAMMA.toPrecision(17)}) + 1 end
  v = math.floor(v)
  h.buckets[b] = (h.buckets[b] or 0) + 1
  if (not h.min) or v < h.min then h.min = v end
  if (not h.max) or v > h.max then h.max = v end
  if w >= 0 then
    local c = 0
    if v >= 1 then c = math.floor(math.log(v) / ${(LOG_GAMMA * WINDOW_COARSENING).toPrecision(17)}) + 1 end
    add_to(pending_windows, kw, s .. ':' .. c, 1)
  end
end
local function record_difference(k, s, v, kw, w)
  if v < 0 then
    local h = pending(k, s)
    h.below = h.below + 1
    v = 0
  end
  record_hist(k, s, v, kw, w)
end
local function write_histograms()
  for k, stages in pairs(pending_histograms) do
    local created = false
    for s, h in pairs(stages) do
      for b, n in pairs(h.buckets) do
        if redis.call('HINCRBY', k, s .. ':' .. b, n) == n then created = true end
      end
      if h.below > 0 then redis.call('HINCRBY', k, s .. ':below_zero', h.below) end
      local ext = redis.call('HMGET', k, s .. ':min', s .. ':max')
      if (not ext[1]) or h.min < tonumber(ext[1]) then redis.call('HSET', k, s .. ':min', h.min) end
      if (not ext[2]) or h.max > tonumber(ext[2]) then redis.call('HSET', k, s .. ':max', h.max) end
    end
    if created then expire_nx(k) end
  end
  for kw, fields in pairs(pending_windows) do
    local created = false
    for f, n in pairs(fields) do
      if redis.call('HINCRBY', kw, f, n) == n then created = true end
    end
    if created then expire_nx(kw) end
  end
  pending_histograms, pending_windows = {}, {}
end
`;

export interface Histogram {
  // Bucket i >= 1 holds [GAMMA^((i-1)k), GAMMA^(ik)) µs, k = coarsening (1, or WINDOW_COARSENING).
  coarsening: number;
  buckets: Map<number, number>;
  count: number;
  minUs: number;
  maxUs: number;
  belowZero: number;
}

export function emptyHistogram(coarsening = 1): Histogram {
  return { coarsening, buckets: new Map(), count: 0, minUs: Infinity, maxUs: -Infinity, belowZero: 0 };
}

// Bounds of a bucket in µs: [lower, upper).
export function bucketBoundsUs(index: number, coarsening = 1): [number, number] {
  if (index <= 0) return [0, 1];
  const log = LOG_GAMMA * coarsening;
  return [Math.exp((index - 1) * log), Math.exp(index * log)];
}

// Representative value of a bucket in µs: the harmonic midpoint of its bounds,
// which minimises the worst relative error.
export function bucketValueUs(index: number, coarsening = 1): number {
  if (index <= 0) return 0;
  const [lower, upper] = bucketBoundsUs(index, coarsening);
  return (2 * lower * upper) / (lower + upper);
}

// Decodes one stage from a latency hash (field -> value). Window hashes keep no
// exact min and max: they are then the outer bounds of the outermost buckets.
export function histogramFromHash(fields: Record<string, string>, stage: string, coarsening = 1): Histogram {
  const h = emptyHistogram(coarsening);
  const prefix = `${stage}:`;
  for (const [field, raw] of Object.entries(fields)) {
    if (!field.startsWith(prefix)) continue;
    const name = field.slice(prefix.length);
    const value = Number(raw);
    if (name === "min") h.minUs = value;
    else if (name === "max") h.maxUs = value;
    else if (name === "below_zero") h.belowZero = value;
    else {
      h.buckets.set(Number(name), value);
      h.count += value;
    }
  }
  if (h.count > 0 && !Number.isFinite(h.minUs)) {
    const indexes = Array.from(h.buckets.keys());
    h.minUs = bucketBoundsUs(Math.min(...indexes), coarsening)[0];
    h.maxUs = bucketBoundsUs(Math.max(...indexes), coarsening)[1];
  }
  return h;
}

export function mergeHistograms(parts: Histogram[]): Histogram {
  const out = emptyHistogram(parts[0]?.coarsening ?? 1);
  for (const p of parts) {
    for (const [b, c] of p.buckets) out.buckets.set(b, (out.buckets.get(b) ?? 0) + c);
    out.count += p.count;
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
      const v = Math.min(Math.max(bucketValueUs(idx, h.coarsening), h.minUs), h.maxUs);
      return v / 1000;
    }
  }
  return h.maxUs / 1000;
}

// Mean from bucket values, each clamped to the exact min and max: within the
// same relative precision as the percentiles.
export function meanMs(h: Histogram): number {
  if (h.count === 0) return NaN;
  let total = 0;
  for (const [idx, c] of h.buckets) total += Math.min(Math.max(bucketValueUs(idx, h.coarsening), h.minUs), h.maxUs) * c;
  return total / h.count / 1000;
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
    meanMs: meanMs(h),
    minMs: empty ? NaN : h.minUs / 1000,
    p50Ms: percentileMs(h, 50),
    p90Ms: percentileMs(h, 90),
    p95Ms: percentileMs(h, 95),
    p99Ms: percentileMs(h, 99),
    maxMs: empty ? NaN : h.maxUs / 1000,
    belowZero: h.belowZero,
  };
}
