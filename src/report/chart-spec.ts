// What a chart shows, as data: the report modules compute every point in
// TypeScript (tested in Node), and the page's small script (chart-script.ts)
// only hands these to uPlot.

// x axis: "time" epoch seconds (UTC), "log" a logarithmic value axis (ms),
// "nines" -log10(1 - percentile), labelled 50%, 90%, 99%, 99.9% …, "linear" plain numbers.
export type XKind = "time" | "log" | "nines" | "linear";

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  // "line" (default), "step" (a histogram's outline), "points" (no line between values).
  paint?: "line" | "step" | "points";
  dash?: boolean;
  // 2: the right-hand axis.
  axis?: 1 | 2;
}

export interface ChartSpec {
  // DOM id of the chart's container; unique within a page.
  id: string;
  title: string;
  xKind: XKind;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  yLog?: boolean;
  x: number[];
  series: ChartSeries[];
}

// One colour per latency stage, the same in every chart and report.
const STAGE_COLORS: Record<string, string> = {
  publish: "#1f77b4",
  queue: "#ff7f0e",
  delivery: "#2ca02c",
  e2e: "#d62728",
};

// Further series (resources, runs) take colours in this order.
export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

// A stage added later still gets a colour of its own.
export const stageColor = (stage: string): string => STAGE_COLORS[stage] ?? PALETTE[4];

export const hasData = (c: ChartSpec): boolean =>
  c.x.length > 0 && c.series.some((s) => s.values.some((v) => v !== null));
