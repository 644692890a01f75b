import { readFileSync } from "node:fs";
import type { ChartAssets } from "../../src/report/page";

// uPlot's browser build and CSS, read from node_modules for the HTML reports.
export function loadChartAssets(): ChartAssets {
  return {
    script: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    style: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
  };
}
