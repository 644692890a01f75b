import type { CapacityReport } from "../capacity/capacity-report";
import type { CapacityStep } from "../capacity/capacity-step";
import { findingLines } from "../capacity/render-capacity-text";
import { formatDuration } from "../config/env";
import { STAGES } from "../runstate/keys";
import { type ChartSeries, type ChartSpec, PALETTE, stageColor } from "./chart-spec";
import { type Cell, esc, fmtMs, keyValues, paragraph, section, table } from "./html";
import { type ChartAssets, ChartSet, renderPage } from "./page";
import { groupByQuery, resourcesSection } from "./resources-html";

const byRate = (
  id: string,
  title: string,
  yLabel: string,
  steps: CapacityStep[],
  series: ChartSeries[],
  yLog = false,
): ChartSpec => ({
  id,
  title,
  xKind: "linear",
  xLabel: "offered events/s",
  yLabel,
  yLog,
  x: steps.map((s) => s.offeredPerSecond),
  series,
});

function stepsTable(steps: CapacityStep[]): string {
  const rows = steps.map((s): Cell[] => [
    s.offeredPerSecond,
    s.publishedPerSecond === null ? "–" : Number(s.publishedPerSecond.toFixed(1)),
    s.deliveredPerSecond === null ? "–" : Number(s.deliveredPerSecond.toFixed(1)),
    s.droppedIterations,
    s.missing,
    ...STAGES.flatMap((stage): Cell[] => [
      { html: fmtMs(s.latency[stage].p50Ms), cls: "num" },
      { html: fmtMs(s.latency[stage].p99Ms), cls: "num" },
    ]),
    { html: s.held ? "yes" : "NO", cls: s.held ? "ok" : "bad" },
    s.held ? s.testId : `${s.testId} (verify: ${s.outcome}): ${s.reasons.join("; ")}`,
  ]);
  return table(
    [
      "offered/s",
      "published/s",
      "delivered/s",
      "dropped",
      "missing",
      ...STAGES.flatMap((stage) => [`${stage} p50`, `${stage} p99`]),
      "held",
      "run",
    ],
    rows,
  );
}

// Each resource's mean per step against the offered rate.
function resourceByRateCharts(steps: CapacityStep[], charts: ChartSet): string[] {
  const all = steps.flatMap((s) => s.resources);
  return Array.from(groupByQuery(all).entries()).map(([query, series]) => {
    const names = Array.from(new Set(series.map((s) => s.name)));
    const bytes = series[0].unit === "bytes";
    return charts.chart(
      byRate(
        `chart-cap-res-${query}`,
        `${series[0].title}: mean per step`,
        bytes ? "MiB" : series[0].unit,
        steps,
        names.map((name, i) => ({
          label: name,
          color: PALETTE[i % PALETTE.length],
          values: steps.map((s) => {
            const v = s.resources.find((r) => r.query === query && r.name === name)?.mean;
            return v === undefined ? null : Number((bytes ? v / 1024 / 1024 : v).toPrecision(6));
          }),
        })),
      ),
    );
  });
}

// The capacity search as one page: the knee and what gave way first, each step,
// throughput and latency against the offered rate, and the resources.
export function renderCapacityHtml(r: CapacityReport, assets: ChartAssets): string {
  const charts = new ChartSet();
  const f = r.findings;
  const steps = r.steps;
  const banner =
    f.knee === null
      ? `<div class="verdict fail">KNEE: none — no step held</div>`
      : `<div class="verdict pass">KNEE: ${f.knee.offeredPerSecond} events/s</div>`;
  const body = [
    `<h1>outpost-loadtest capacity search</h1>`,
    `<p class="sub">${esc(`${steps.length} of ${r.search.rates.length} steps run, ${formatDuration(r.search.stepDurationMs)} each, at ${r.search.rates.join(", ")} events/s; generated ${r.generatedAt}`)}</p>`,
    banner,
    `<ul>${findingLines(f, r.search.sloE2eP99Ms, r.resources !== null)
      .map((l) => `<li>${esc(l)}</li>`)
      .join("")}</ul>`,
    section(
      "steps",
      "Steps",
      paragraph(
        `A step holds when verify passes (e2e p99 <= ${r.search.sloE2eP99Ms} ms, VERIFY_MAX_E2E_P99_MS), every delivery arrived and k6 dropped at most 1% of the step's iterations (more means the load generator did not offer the rate). The search stops after the first step that does not hold. Latency in ms.`,
      ),
      stepsTable(steps),
      charts.chart(
        byRate("chart-cap-throughput", "Throughput against the offered rate", "per second", steps, [
          { label: "offered", color: "#6e7781", dash: true, values: steps.map((s) => s.offeredPerSecond) },
          { label: "published (accepted)", color: "#1f77b4", values: steps.map((s) => s.publishedPerSecond) },
          { label: "delivered (first deliveries)", color: "#2ca02c", values: steps.map((s) => s.deliveredPerSecond) },
        ]),
      ),
      charts.chart(
        byRate(
          "chart-cap-latency",
          "p99 per stage against the offered rate",
          "ms",
          steps,
          [
            ...STAGES.filter((stage) => steps.some((s) => s.latency[stage].p99Ms !== null)).map(
              (stage): ChartSeries => ({
                label: `${stage} p99`,
                color: stageColor(stage),
                values: steps.map((s) => s.latency[stage].p99Ms),
              }),
            ),
            { label: "SLO (e2e p99)", color: "#000000", dash: true, values: steps.map(() => r.search.sloE2eP99Ms) },
          ],
          true,
        ),
      ),
    ),
    r.resources === null
      ? section("resources", "Resources", paragraph("Set PROMETHEUS_URL to see what each step cost inside."))
      : [
          section("resources-by-rate", "Resources per step", ...resourceByRateCharts(steps, charts)),
          resourcesSection(r.resources, charts),
        ].join("\n"),
    section("settings", "Settings", keyValues(Object.entries(r.search.settings))),
  ].join("\n");
  return renderPage({ title: `capacity: knee ${f.knee?.offeredPerSecond ?? "none"}`, body, charts, assets });
}
