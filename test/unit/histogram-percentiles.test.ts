import { strict as assert } from "node:assert";
import { emptyHistogram, GAMMA, type Histogram, percentileMs, RELATIVE_PRECISION } from "../../src/runstate/histogram";
import { stageLatency } from "../../src/verify/latency";

// Test oracle: the bucketing rule of LUA_RECORD_HISTOGRAM (the real encoder is
// Lua; the integration test records through it).
function record(h: Histogram, us: number): void {
  const b = us >= 1 ? Math.floor(Math.log(us) / Math.log(GAMMA)) + 1 : 0;
  h.buckets.set(b, (h.buckets.get(b) ?? 0) + 1);
  h.count += 1;
  h.minUs = Math.min(h.minUs, us);
  h.maxUs = Math.max(h.maxUs, us);
}

// Nearest-rank percentile of raw data, in ms.
function exactMs(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] / 1000;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

const datasets: Record<string, (r: () => number) => number> = {
  "uniform 1 µs..10 s": (r) => 1 + Math.floor(r() * 10_000_000),
  "exponential, mean 20 ms": (r) => Math.round(-Math.log(r()) * 20_000),
  "log-normal around 5 ms with a slow tail": (r) =>
    Math.round(Math.exp(Math.log(5000) + 1.5 * Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()))),
  "two modes: 2 ms and 900 ms": (r) => (r() < 0.97 ? 2000 + Math.floor(r() * 100) : 900_000 + Math.floor(r() * 50_000)),
};

describe("histogram decode and percentiles", () => {
  for (const [name, draw] of Object.entries(datasets)) {
    it(`${name}: every percentile within the stated ${(RELATIVE_PRECISION * 100).toFixed(2)}%`, () => {
      const r = seeded(name.length);
      const data = Array.from({ length: 20_000 }, () => draw(r));
      const h = emptyHistogram();
      for (const v of data) record(h, v);
      data.sort((a, b) => a - b);
      for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]) {
        const est = percentileMs(h, p);
        const exact = exactMs(data, p);
        assert.ok(Math.abs(est - exact) <= exact * RELATIVE_PRECISION + 1e-9, `p${p}: ${est} vs exact ${exact}`);
      }
      const s = stageLatency(h);
      assert.equal(s.count, data.length);
      assert.equal(s.minMs, data[0] / 1000);
      assert.equal(s.maxMs, data[data.length - 1] / 1000);
      const exactMean = data.reduce((a, b) => a + b, 0) / data.length / 1000;
      assert.ok(
        Math.abs((s.meanMs ?? NaN) - exactMean) <= exactMean * RELATIVE_PRECISION,
        `mean ${s.meanMs} vs ${exactMean}`,
      );
    });
  }

  it("summarises an empty stage as count 0 and nulls (JSON-safe)", () => {
    const s = stageLatency(emptyHistogram());
    assert.equal(s.count, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), {
      count: 0,
      meanMs: null,
      minMs: null,
      p50Ms: null,
      p90Ms: null,
      p95Ms: null,
      p99Ms: null,
      maxMs: null,
      belowZero: 0,
    });
  });

  it("detects a wrong bucket scheme (the check can fail)", () => {
    const h = emptyHistogram();
    for (let v = 1000; v <= 100_000; v += 7) record(h, v);
    const shifted: Histogram = { ...h, buckets: new Map(Array.from(h.buckets, ([b, c]) => [b + 1, c])) };
    const exact = 50.5;
    assert.ok(Math.abs(percentileMs(shifted, 50) - exact) > exact * RELATIVE_PRECISION);
  });
});
