import { STAGES } from "../runstate/keys";
import { table } from "../verify/render-text";
import { type Change, type Comparison, LEDGER_FIGURES, signedPercent } from "./compare-reports";

const num = (v: number | null, digits = 1): string => (v === null ? "-" : v.toFixed(digits));
const delta = (c: Change, digits = 1): string =>
  c.delta === null ? "-" : `${c.delta >= 0 ? "+" : ""}${c.delta.toFixed(digits)}`;

// base, candidate, change and relative change of one figure.
const row = (name: string, c: Change, digits = 1): Array<string | number> => [
  name,
  num(c.base, digits),
  num(c.candidate, digits),
  delta(c, digits),
  signedPercent(c.relative),
];

export const skippedText = (s: Comparison["skippedStages"][number]): string =>
  `${s.stage}: not compared (not in the ${s.absentIn === "both" ? "base or the candidate" : s.absentIn} report: written by an older verify)`;

export function renderCompareText(c: Comparison): string {
  const lines: string[] = [
    `compare: base ${c.base.testId} (${c.base.verdict}; ${c.base.load})`,
    `    candidate ${c.candidate.testId} (${c.candidate.verdict}; ${c.candidate.load})`,
    "",
    "Throughput (per second):",
    ...table(
      ["", "base", "candidate", "change", "relative"],
      [
        row("published", c.throughput.published),
        row("delivered", c.throughput.delivered),
        row("delivered, peak second", c.throughput.peakDelivered, 0),
      ],
    ),
    "",
    "Latency (ms):",
    ...table(
      ["stage percentile", "base", "candidate", "change", "relative"],
      STAGES.flatMap((stage) => {
        const l = c.latency[stage];
        if (l === undefined || (l.samples.base === 0 && l.samples.candidate === 0)) return [];
        return [
          row(`${stage} samples`, l.samples, 0),
          row(`${stage} p50`, l.p50),
          row(`${stage} p90`, l.p90),
          row(`${stage} p95`, l.p95),
          row(`${stage} p99`, l.p99),
          row(`${stage} max`, l.max),
        ];
      }),
    ),
    ...c.skippedStages.map((s) => `  ${skippedText(s)}`),
    "",
    "Ledger (all destinations):",
    ...table(
      ["", "base", "candidate", "change", "relative"],
      [...LEDGER_FIGURES.map((f) => row(f, c.ledger[f], 0)), row("delivered %", c.ledger.deliveredPercent, 3)],
    ),
    "",
  ];
  if (c.checks.length === 0) {
    lines.push("RESULT: no limit set (MAX_P99_REGRESSION, MAX_THROUGHPUT_DROP, MAX_MISSING_INCREASE, ...)");
  } else {
    const crossed = c.checks.filter((k) => !k.ok).length;
    lines.push(
      crossed === 0 ? "RESULT: within limits" : `RESULT: REGRESSION (${crossed} of ${c.checks.length} limits crossed)`,
      ...c.checks.map((k) => `  ${k.ok ? "ok  " : "FAIL"} ${k.detail}`),
    );
  }
  return `${lines.join("\n")}\n`;
}
