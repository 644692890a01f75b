import { formatDuration } from "../config/env";
import { STAGES } from "../runstate/keys";
import { table } from "../verify/render-text";
import type { CapacityReport } from "./capacity-report";
import type { CapacityFindings } from "./knee";

const ms = (v: number | null): string => (v === null ? "-" : v < 10 ? v.toFixed(1) : v.toFixed(0));
const rate = (v: number | null): string => (v === null ? "-" : v.toFixed(1));

export function findingLines(f: CapacityFindings, sloMs: number, withResources: boolean): string[] {
  const k = f.knee;
  const lines = [
    k === null
      ? `KNEE: none: no step held (the lowest, ${f.firstFailure?.offeredPerSecond ?? "?"}/s, failed)`
      : `KNEE: ${k.offeredPerSecond} events/s offered, ${rate(k.deliveredPerSecond)} deliveries/s, e2e p99 ${ms(k.latency.e2e.p99Ms)} ms (SLO ${sloMs} ms), 100% delivered`,
  ];
  if (f.firstFailure !== null)
    lines.push(
      `  first step that did not hold: ${f.firstFailure.offeredPerSecond}/s (verify: ${f.firstFailure.outcome}): ${f.firstFailure.reasons.join("; ")}`,
    );
  else if (k !== null) lines.push("  every step held: the ceiling (CAPACITY_MAX) is below the knee");
  const g = f.stageGrewFirst;
  lines.push(
    g === null
      ? "Stage that grew first: none (no stage's p99 doubled over the search)"
      : `Stage that grew first: ${g.stage} (p99 ${ms(g.baselineP99Ms)} ms at ${g.baselineRate}/s -> ${ms(g.p99Ms)} ms at ${g.atRate}/s, ${g.factor.toFixed(1)}x)`,
  );
  if (!withResources) lines.push("Resource that saturated first: set PROMETHEUS_URL to see it");
  else if (f.saturatedFirst.length === 0)
    lines.push("Resource that saturated first: none reached saturation (CPU >= 90% of its ceiling, a growing queue)");
  else
    lines.push(
      `Resource that saturated first (at ${f.saturatedFirst[0].atRate}/s): ${f.saturatedFirst.map((s) => `${s.resource} ${s.series}: ${s.detail}`).join("; ")}`,
    );
  return lines;
}

export function renderCapacityText(r: CapacityReport): string {
  const rows = r.steps.map((s) => [
    `${s.offeredPerSecond}/s`,
    rate(s.publishedPerSecond),
    rate(s.deliveredPerSecond),
    s.droppedIterations,
    s.missing,
    ...STAGES.map((stage) => `${ms(s.latency[stage].p50Ms)}/${ms(s.latency[stage].p99Ms)}`),
    s.held ? "yes" : "NO",
    s.testId,
  ]);
  return `${[
    `capacity search: ${r.steps.length} of ${r.search.rates.length} steps run, ${formatDuration(r.search.stepDurationMs)} each; SLO e2e p99 <= ${r.search.sloE2eP99Ms} ms with 100% delivered and at most 1% of the iterations dropped`,
    ...table(
      [
        "offered",
        "published/s",
        "delivered/s",
        "dropped",
        "missing",
        ...STAGES.map((stage) => `${stage} p50/p99 ms`),
        "held",
        "TEST_ID",
      ],
      rows,
    ),
    "",
    ...findingLines(r.findings, r.search.sloE2eP99Ms, r.resources !== null),
  ].join("\n")}\n`;
}
