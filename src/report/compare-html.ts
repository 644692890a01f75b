import { type Change, type Comparison, LEDGER_FIGURES, signedPercent } from "../compare/compare-reports";
import { skippedText } from "../compare/render-compare-text";
import { STAGES } from "../runstate/keys";
import type { VerifyReport } from "../verify/report";
import type { ChartSeries, ChartSpec } from "./chart-spec";
import { stageColor } from "./chart-spec";
import { type Cell, esc, isoTime, paragraph, section, table } from "./html";
import { percentileCurves } from "./latency-charts";
import { type ChartAssets, ChartSet, renderPage } from "./page";

const num = (v: number | null, digits: number): Cell => ({ html: v === null ? "–" : v.toFixed(digits), cls: "num" });

// Worse is red, better green; which way is worse depends on the figure.
function changeCells(c: Change, digits: number, higherIsWorse: boolean | null): Cell[] {
  const worse = c.delta === null || c.delta === 0 || higherIsWorse === null ? "" : c.delta > 0 === higherIsWorse;
  const cls = worse === "" ? "num" : worse ? "num bad" : "num ok";
  const d = c.delta === null ? "–" : `${c.delta >= 0 ? "+" : ""}${c.delta.toFixed(digits)}`;
  return [
    num(c.base, digits),
    num(c.candidate, digits),
    { html: esc(d), cls },
    { html: signedPercent(c.relative), cls },
  ];
}

const HEAD = ["", "base", "candidate", "change", "relative"];

function resultBanner(c: Comparison): string {
  if (c.checks.length === 0) return `<div class="verdict incomplete">NO LIMIT SET</div>`;
  const crossed = c.checks.filter((k) => !k.ok).length;
  const banner =
    crossed === 0
      ? `<div class="verdict pass">WITHIN LIMITS</div>`
      : `<div class="verdict fail">REGRESSION: ${crossed} of ${c.checks.length} limits crossed</div>`;
  const checks = table(
    ["", "limit"],
    c.checks.map((k): Cell[] => [{ html: k.ok ? "ok" : "FAIL", cls: k.ok ? "ok" : "bad" }, k.detail]),
  );
  return `${banner}\n${checks}`;
}

// Both runs on one time axis: seconds since each run's first second.
function overlaid(
  id: string,
  title: string,
  yLabel: string,
  runs: Array<{ label: string; color: string; dash?: boolean; points: Array<[number, number | null]> }>,
): ChartSpec {
  const xs = Array.from(new Set(runs.flatMap((r) => r.points.map((p) => p[0])))).sort((a, b) => a - b);
  const series: ChartSeries[] = runs.map((r) => {
    const at = new Map(r.points);
    return { label: r.label, color: r.color, dash: r.dash, values: xs.map((x) => at.get(x) ?? null) };
  });
  return { id, title, xKind: "linear", xLabel: "seconds since the run's start", yLabel, x: xs, series };
}

function deliveredSeries(r: VerifyReport): Array<[number, number | null]> {
  const first = r.timeline[0]?.second ?? 0;
  return r.timeline.map((p) => [p.second - first, p.delivered]);
}

function e2eOverTime(r: VerifyReport): Array<[number, number | null]> {
  const o = r.latency.overTime;
  if (!o) return [];
  return o.windows.map((w) => [Math.round((w.startMs - r.run.startedAtMs) / 1000), w.stages.e2e.p99Ms]);
}

// Two verify reports side by side: the limits you set, throughput, latency per
// stage and percentile, the ledger, and the charts of both runs overlaid
// (candidate solid, base dashed).
export function renderCompareHtml(
  c: Comparison,
  base: VerifyReport,
  candidate: VerifyReport,
  assets: ChartAssets,
): string {
  const charts = new ChartSet();
  const runs = table(
    ["", "TEST_ID", "verdict", "load", "started"],
    [
      ["base", c.base.testId, c.base.verdict, c.base.load, isoTime(c.base.startedAtMs)],
      ["candidate", c.candidate.testId, c.candidate.verdict, c.candidate.load, isoTime(c.candidate.startedAtMs)],
    ],
  );
  const latencyRows: Cell[][] = STAGES.flatMap((stage) => {
    const l = c.latency[stage];
    if (l === undefined || (l.samples.base === 0 && l.samples.candidate === 0)) return [];
    return [
      [`${stage} samples`, ...changeCells(l.samples, 0, null)],
      ...(["p50", "p90", "p95", "p99", "max"] as const).map((p): Cell[] => [
        `${stage} ${p}`,
        ...changeCells(l[p], 1, true),
      ]),
    ];
  });
  const curves = STAGES.filter((stage) => c.latency[stage] !== undefined).flatMap((stage) =>
    [
      { r: base, label: `${stage} base`, dash: true },
      { r: candidate, label: `${stage} candidate`, dash: false },
    ].map(({ r, label, dash }) => ({
      label,
      dash,
      color: stageColor(stage),
      bins: r.latency.distribution?.[stage] ?? [],
      minMs: r.latency.stages[stage].minMs,
      maxMs: r.latency.stages[stage].maxMs,
    })),
  );
  const body = [
    `<h1>outpost-loadtest compare: ${esc(c.candidate.testId)} against ${esc(c.base.testId)}</h1>`,
    resultBanner(c),
    runs,
    section(
      "throughput",
      "Throughput (per second)",
      table(HEAD, [
        ["published", ...changeCells(c.throughput.published, 1, false)],
        ["delivered", ...changeCells(c.throughput.delivered, 1, false)],
        ["delivered, peak second", ...changeCells(c.throughput.peakDelivered, 0, false)],
      ]),
      charts.chart(
        overlaid("chart-compare-delivered", "Delivered per second", "deliveries/s", [
          { label: "base", color: "#6e7781", dash: true, points: deliveredSeries(base) },
          { label: "candidate", color: "#2ca02c", points: deliveredSeries(candidate) },
        ]),
        "no deliveries",
      ),
    ),
    section(
      "latency",
      "Latency per stage (ms)",
      table(HEAD, latencyRows),
      ...c.skippedStages.map((s) => paragraph(skippedText(s))),
      charts.chart(
        percentileCurves("chart-compare-percentiles", "Latency by percentile: candidate solid, base dashed", curves),
      ),
      charts.chart(
        overlaid("chart-compare-e2e-over-time", "End-to-end p99 over time (by event start)", "ms", [
          { label: "base e2e p99", color: "#6e7781", dash: true, points: e2eOverTime(base) },
          { label: "candidate e2e p99", color: stageColor("e2e"), points: e2eOverTime(candidate) },
        ]),
        "no latency windows in these reports",
      ),
    ),
    section(
      "ledger",
      "Ledger (all destinations)",
      table(HEAD, [
        ...LEDGER_FIGURES.map((f): Cell[] => [
          f,
          ...changeCells(c.ledger[f], 0, f !== "accepted" && f !== "delivered"),
        ]),
        ["delivered %", ...changeCells(c.ledger.deliveredPercent, 3, false)],
      ]),
      paragraph("Each report's own verdict, ledger lists and settings: open its SUMMARY_HTML."),
    ),
  ].join("\n");
  return renderPage({ title: `compare ${c.candidate.testId} vs ${c.base.testId}`, body, charts, assets });
}
