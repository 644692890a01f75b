import type { ResourceReport, ResourceSeries } from "../resources/prometheus-resources";
import type { ResourceUnit } from "../resources/resource-queries";
import { type ChartSpec, PALETTE } from "./chart-spec";
import { type Cell, esc, isoTime, paragraph, section, table } from "./html";
import type { ChartSet } from "./page";

const MIB = 1024 * 1024;

// Charts and tables show bytes as MiB.
const display = (unit: ResourceUnit): { label: string; scale: number } =>
  unit === "bytes" ? { label: "MiB", scale: 1 / MIB } : { label: unit, scale: 1 };

export function formatResource(v: number, unit: ResourceUnit): string {
  const d = display(unit);
  const x = v * d.scale;
  return `${x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3)} ${d.label}`;
}

// One chart per query: its series over the run window, on one time axis.
export function resourceChart(id: string, series: ResourceSeries[]): ChartSpec {
  const times = Array.from(new Set(series.flatMap((s) => s.points.map((p) => p[0])))).sort((a, b) => a - b);
  const d = display(series[0].unit);
  return {
    id,
    title: `${series[0].title} (UTC)`,
    xKind: "time",
    xLabel: "time",
    yLabel: d.label,
    x: times,
    series: series.map((s, i) => {
      const at = new Map(s.points);
      return {
        label: s.name,
        color: PALETTE[i % PALETTE.length],
        values: times.map((t) => {
          const v = at.get(t);
          return v === undefined ? null : Number((v * d.scale).toPrecision(6));
        }),
      };
    }),
  };
}

export function groupByQuery(series: ResourceSeries[]): Map<string, ResourceSeries[]> {
  const out = new Map<string, ResourceSeries[]>();
  for (const s of series) out.set(s.query, [...(out.get(s.query) ?? []), s]);
  return out;
}

// The inside view of the run: what each process (or pod), Redis, PostgreSQL and
// RabbitMQ did over the run window, from PROMETHEUS_URL.
export function resourcesSection(res: ResourceReport, charts: ChartSet): string {
  const groups = groupByQuery(res.series);
  const rows = res.series.map((s): Cell[] => [
    s.title,
    s.name,
    { html: esc(formatResource(s.mean, s.unit)), cls: "num" },
    { html: esc(formatResource(s.max, s.unit)), cls: "num" },
    { html: esc(formatResource(s.last, s.unit)), cls: "num" },
  ]);
  const notes = [
    `From ${res.prometheusUrl}, ${isoTime(res.startMs)} to ${isoTime(res.endMs)} (the run with 10 s either side), a point every ${res.stepSeconds} s, rates over ${res.rateWindow}.`,
  ];
  if (res.empty.length > 0) notes.push(`No data for: ${res.empty.join(", ")}.`);
  if (res.errors.length > 0) notes.push(`Queries that failed: ${res.errors.join("; ")}.`);
  return section(
    "resources",
    "Resources (Prometheus)",
    ...notes.map(paragraph),
    rows.length > 0 ? table(["resource", "series", "mean", "max", "last"], rows) : "",
    ...Array.from(groups.entries()).map(([query, series]) => charts.chart(resourceChart(`chart-res-${query}`, series))),
  );
}
