import { ConfigError, redactUrl } from "../config/env";
import type { HttpPort } from "../ports";
import { RESOURCE_QUERIES, type ResourceQuery, type ResourceUnit } from "./resource-queries";

export interface SeriesStats {
  mean: number;
  max: number;
  first: number;
  last: number;
}

export interface ResourceSeries extends SeriesStats {
  query: string;
  title: string;
  unit: ResourceUnit;
  // The label value that tells this series from the others of its query ("outpost-server").
  name: string;
  // [epoch seconds, value], ascending.
  points: Array<[number, number]>;
}

// A verify report (SUMMARY_JSON) with the run window's resources folded in (tools/report.ts).
export interface WithResources {
  resources?: ResourceReport;
}

// The run window's series, as the JSON carries them.
export interface ResourceReport {
  prometheusUrl: string;
  startMs: number;
  endMs: number;
  stepSeconds: number;
  rateWindow: string;
  series: ResourceSeries[];
  // Queries that returned no series (e.g. the cluster's on the local stack).
  empty: string[];
  errors: string[];
}

// At most this many points per series: enough for a chart, small in the JSON.
const MAX_POINTS = 300;
const QUERY_TIMEOUT_MS = 15_000;

interface RangeAnswer {
  status?: string;
  error?: string;
  data?: { result?: Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }> };
}

export function statsOf(points: Array<[number, number]>): SeriesStats | null {
  if (points.length === 0) return null;
  const values = points.map((p) => p[1]);
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    max: values.reduce((a, b) => Math.max(a, b)),
    first: values[0],
    last: values[values.length - 1],
  };
}

// The stats of each series within [fromMs, toMs] (a capacity step), series without points there left out.
export function seriesWithin(series: ResourceSeries[], fromMs: number, toMs: number): ResourceSeries[] {
  const out: ResourceSeries[] = [];
  for (const s of series) {
    const points = s.points.filter(([t]) => t * 1000 >= fromMs && t * 1000 <= toMs);
    const stats = statsOf(points);
    if (stats !== null) out.push({ ...s, ...stats, points });
  }
  return out;
}

// Fails in one line when nothing answers at PROMETHEUS_URL, before any load.
export async function checkPrometheus(http: HttpPort, url: string): Promise<void> {
  const res = await http.request({ method: "GET", url: `${url}/api/v1/status/buildinfo`, timeoutMs: QUERY_TIMEOUT_MS });
  if (res.status !== 200)
    throw new ConfigError(
      `PROMETHEUS_URL=${redactUrl(url)} is unreachable or not Prometheus: ${res.status === 0 ? res.error : `HTTP ${res.status}`}`,
    );
}

async function queryRange(
  http: HttpPort,
  url: string,
  q: ResourceQuery,
  window: { startS: number; endS: number; stepS: number; rate: string },
): Promise<ResourceSeries[] | string> {
  const params = [
    `query=${encodeURIComponent(q.expr(window.rate))}`,
    `start=${window.startS}`,
    `end=${window.endS}`,
    `step=${window.stepS}`,
  ].join("&");
  const res = await http.request({
    method: "GET",
    url: `${url}/api/v1/query_range?${params}`,
    timeoutMs: QUERY_TIMEOUT_MS,
  });
  let body: RangeAnswer = {};
  try {
    body = JSON.parse(res.body) as RangeAnswer;
  } catch {
    // reported below with the status
  }
  if (res.status !== 200 || body.status !== "success")
    return `${q.id}: ${res.status === 0 ? res.error : `HTTP ${res.status}`}${body.error ? ` ${body.error}` : ""}`;
  const out: ResourceSeries[] = [];
  for (const r of body.data?.result ?? []) {
    const points = (r.values ?? [])
      .map(([t, v]): [number, number] => [Number(t), Number(v)])
      .filter(([, v]) => Number.isFinite(v));
    const stats = statsOf(points);
    if (stats === null) continue;
    out.push({ query: q.id, title: q.title, unit: q.unit, name: r.metric?.[q.label] || "all", points, ...stats });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

// Every resource query over [startMs, endMs] from the Prometheus at url.
export async function fetchResources(
  http: HttpPort,
  url: string,
  startMs: number,
  endMs: number,
  queries: readonly ResourceQuery[] = RESOURCE_QUERIES,
): Promise<ResourceReport> {
  const startS = Math.floor(startMs / 1000);
  const endS = Math.max(startS + 1, Math.ceil(endMs / 1000));
  const stepS = Math.max(1, Math.ceil((endS - startS) / MAX_POINTS));
  // At least a few scrapes (5 s apart on the local stack) inside each rate window.
  const rate = `${Math.max(15, 2 * stepS)}s`;
  const report: ResourceReport = {
    prometheusUrl: redactUrl(url),
    startMs,
    endMs,
    stepSeconds: stepS,
    rateWindow: rate,
    series: [],
    empty: [],
    errors: [],
  };
  for (const q of queries) {
    const got = await queryRange(http, url, q, { startS, endS, stepS, rate });
    if (typeof got === "string") report.errors.push(got);
    else if (got.length === 0) report.empty.push(q.id);
    else report.series.push(...got);
  }
  return report;
}
