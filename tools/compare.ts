// make compare: two verify reports (SUMMARY_JSON) side by side, and the limits
// you set on the candidate. Exit codes: 0 within limits (or none set), 99 a
// limit crossed (as verify's failed verdict), 2 bad settings or an unreadable report.
//   BASE=a.json CANDIDATE=b.json MAX_P99_REGRESSION=10% npx ts-node --transpile-only tools/compare.ts
import { writeFileSync } from "node:fs";
import { loadChartAssets } from "../adapters/node/chart-assets";
import { readVerifyReport } from "../adapters/node/read-verify-report";
import { compareReports } from "../src/compare/compare-reports";
import { renderCompareText } from "../src/compare/render-compare-text";
import { readCompareSettings } from "../src/config/compare-settings";
import { ConfigError } from "../src/config/env";
import { renderCompareHtml } from "../src/report/compare-html";

export const EXIT_REGRESSION = 99;
export const EXIT_BAD_INPUT = 2;

function main(): number {
  const settings = readCompareSettings(process.env);
  const base = readVerifyReport("BASE", settings.base);
  const candidate = readVerifyReport("CANDIDATE", settings.candidate);
  const comparison = compareReports(settings, base, candidate);
  process.stdout.write(renderCompareText(comparison));
  if (settings.compareHtml !== null)
    writeFileSync(settings.compareHtml, renderCompareHtml(comparison, base, candidate, loadChartAssets()));
  return comparison.regressed ? EXIT_REGRESSION : 0;
}

try {
  process.exit(main());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`compare: ${err.message}\n`);
  process.exit(EXIT_BAD_INPUT);
}
