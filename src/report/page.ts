import { CHART_SCRIPT } from "./chart-script";
import { type ChartSpec, hasData } from "./chart-spec";
import { esc } from "./html";

// The charting library as text (uPlot's minified IIFE build and its CSS). The
// k6 bundle carries it as a string (webpack asset/source), Node reads the
// files: src/ itself touches neither.
export interface ChartAssets {
  script: string;
  style: string;
}

const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; color: #1b1f24; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.sub { color: #57606a; margin: 0 0 12px; }
.verdict { font-size: 26px; font-weight: 700; padding: 10px 16px; border-radius: 6px; color: #fff; display: inline-block; margin: 8px 0; }
.verdict.pass { background: #1a7f37; } .verdict.fail { background: #cf222e; } .verdict.void, .verdict.incomplete { background: #6e7781; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; } caption { text-align: left; color: #57606a; padding-bottom: 4px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; } th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.ok { color: #1a7f37; font-weight: 600; } td.bad { color: #cf222e; font-weight: 600; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; } .tile { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.tile .value { font-size: 20px; font-weight: 600; } .tile .label { color: #57606a; font-size: 12px; } .tile.bad .value { color: #cf222e; }
.chart { margin: 8px 0 16px; min-height: 300px; } .nodata { color: #57606a; font-style: italic; }
.ids { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
`;

// Inline scripts end at the first "</script" whatever JavaScript around it means.
const scriptText = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1");
// JSON inside a script element: "<" never appears raw, so nothing can close it.
const jsonText = (v: unknown): string => JSON.stringify(v).replace(/</g, "\\u003c");

// Collects the charts a page shows: chart() returns the placeholder to put in
// the body, or a note when the chart would be empty.
export class ChartSet {
  readonly specs: ChartSpec[] = [];

  chart(spec: ChartSpec, emptyNote = "no samples"): string {
    if (!hasData(spec)) return `<p class="nodata">${esc(spec.title)}: ${esc(emptyNote)}</p>`;
    this.specs.push(spec);
    return `<div class="chart" id="${esc(spec.id)}" data-title="${esc(spec.title)}"></div>`;
  }
}

export interface Page {
  title: string;
  body: string;
  charts: ChartSet;
  assets: ChartAssets;
}

// One self-contained HTML file: no request leaves it (the Content-Security-Policy
// forbids any), so it opens the same offline, from a mail or a CI artefact.
export function renderPage(p: Page): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<style>${p.assets.style}</style>
<style>${PAGE_STYLE}</style>
</head><body>
${p.body}
<script>${scriptText(p.assets.script)}</script>
<script type="application/json" id="olt-charts">${jsonText(p.charts.specs)}</script>
<script>${scriptText(CHART_SCRIPT)}</script>
</body></html>
`;
}
