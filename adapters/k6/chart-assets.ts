// uPlot's browser build and CSS as strings: webpack's asset/source puts the
// files' text into the bundle (k6 never runs it; the HTML report inlines it).
import script from "uplot/dist/uPlot.iife.min.js";
import style from "uplot/dist/uPlot.min.css";
import type { ChartAssets } from "../../src/report/page";

export const chartAssets: ChartAssets = { script, style };
