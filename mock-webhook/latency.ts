import { fail, parseDurationMs } from "../src/config/env";

// Added response latency. Forms (durations as in 500ms, 2s):
//   none | fixed:D | uniform:MIN,MAX | normal:MEAN,STDDEV | longtail:MEDIAN,P99
// longtail is log-normal: most answers near MEDIAN, one in a hundred beyond P99.
export const LATENCY_FORMS =
  "none, fixed:D, uniform:MIN,MAX, normal:MEAN,STDDEV or longtail:MEDIAN,P99 with durations like 20ms or 1.5s up to 10m";

export type Random = () => number;
export type LatencySampler = (random: Random) => number;

const MAX_MS = 600_000;
// z-score of the 99th percentile of a standard normal distribution.
const Z99 = 2.326348;

function standardNormal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const clamp = (ms: number): number => Math.min(MAX_MS, Math.max(0, ms));

function build(kind: string, a: number, b: number): LatencySampler | null {
  switch (kind) {
    case "fixed":
      return () => a;
    case "uniform":
      return b >= a ? (r) => a + (b - a) * r() : null;
    case "normal":
      return (r) => clamp(a + b * standardNormal(r));
    case "longtail": {
      if (!(a > 0 && b > a)) return null;
      const sigma = Math.log(b / a) / Z99;
      return (r) => clamp(a * Math.exp(sigma * standardNormal(r)));
    }
    default:
      return null;
  }
}

// null means no added latency.
export function parseLatency(name: string, text: string): LatencySampler | null {
  const t = text.trim();
  if (t === "none" || t === "0") return null;
  const m = /^(fixed|uniform|normal|longtail):([^,]+)(?:,([^,]+))?$/.exec(t);
  const a = m ? parseDurationMs(m[2]) : null;
  const b = m && m[3] !== undefined ? parseDurationMs(m[3]) : null;
  const arity = m ? (m[1] === "fixed" ? 1 : 2) : 0;
  const ok = m !== null && a !== null && a <= MAX_MS && (arity === 1 ? m[3] === undefined : b !== null && b <= MAX_MS);
  const sampler = ok ? build(m[1], a, b ?? 0) : null;
  return sampler ?? fail(name, t, LATENCY_FORMS);
}
