import { fail, parseDurationMs } from "../config/env";

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

// Standard normal density and distribution (erf by Abramowitz and Stegun 7.1.26,
// absolute error under 1.5e-7).
function phi(x: number): number {
  return Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
}

function bigPhi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

// The mean of each form as sampled (normal clamped at 0: its mean rises when
// STDDEV is large against MEAN; the 10 min cap is ignored).
function mean(kind: string, a: number, b: number): number {
  switch (kind) {
    case "fixed":
      return a;
    case "uniform":
      return (a + b) / 2;
    case "normal":
      return b === 0 ? Math.max(0, a) : a * bigPhi(a / b) + b * phi(a / b);
    default: {
      // longtail: log-normal with median a, so the mean is a·e^(σ²/2).
      const sigma = Math.log(b / a) / Z99;
      return a * Math.exp((sigma * sigma) / 2);
    }
  }
}

interface LatencyForm {
  sampler: LatencySampler;
  meanMs: number;
}

function parseForm(name: string, text: string): LatencyForm | null {
  const t = text.trim();
  if (t === "none" || t === "0") return null;
  const m = /^(fixed|uniform|normal|longtail):([^,]+)(?:,([^,]+))?$/.exec(t);
  const a = m ? parseDurationMs(m[2]) : null;
  const b = m && m[3] !== undefined ? parseDurationMs(m[3]) : null;
  const arity = m ? (m[1] === "fixed" ? 1 : 2) : 0;
  const ok = m !== null && a !== null && a <= MAX_MS && (arity === 1 ? m[3] === undefined : b !== null && b <= MAX_MS);
  const sampler = ok ? build(m[1], a, b ?? 0) : null;
  return sampler === null ? fail(name, t, LATENCY_FORMS) : { sampler, meanMs: mean(m?.[1] ?? "", a ?? 0, b ?? 0) };
}

// null means no added latency.
export function parseLatency(name: string, text: string): LatencySampler | null {
  return parseForm(name, text)?.sampler ?? null;
}

// The mean added latency of a form, in ms (0 for none).
export function latencyMeanMs(name: string, text: string): number {
  return parseForm(name, text)?.meanMs ?? 0;
}
