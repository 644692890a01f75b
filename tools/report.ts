// make report: a verify report (SUMMARY_JSON) with the run window's resources
// from PROMETHEUS_URL folded in (written back into SUMMARY_JSON), rendered as
// SUMMARY_HTML. k6's handleSummary cannot make HTTP calls, so this runs in Node
// after verify (make verify does it when PROMETHEUS_URL is set). Exit 0, or 2
// for a bad setting, an unreadable report or a Prometheus that does not answer.
//   SUMMARY_JSON=verify.json PROMETHEUS_URL=http://127.0.0.1:9090 SUMMARY_HTML=report.html npx ts-node --transpile-only tools/report.ts
import { writeFileSync } from "node:fs";
import { loadChartAssets } from "../adapters/node/chart-assets";
import { NodeHttpPort } from "../adapters/node/http";
import { readVerifyReport } from "../adapters/node/read-verify-report";
import { ConfigError } from "../src/config/env";
import { readReportSettings } from "../src/config/report-settings";
import { renderVerifyHtml } from "../src/report/verify-html";
import { checkPrometheus, type WithResources } from "../src/resources/prometheus-resources";
import { renderResourcesText } from "../src/resources/render-resources-text";
import { foldInResources } from "../src/resources/run-window";
import type { VerifyReport } from "../src/verify/report";

async function main(): Promise<void> {
  const settings = readReportSettings(process.env);
  let report: VerifyReport & WithResources = readVerifyReport("SUMMARY_JSON", settings.summaryJson);
  if (settings.prometheusUrl !== null) {
    const http = new NodeHttpPort();
    await checkPrometheus(http, settings.prometheusUrl);
    report = await foldInResources(http, settings.prometheusUrl, report);
    writeFileSync(settings.summaryJson, JSON.stringify(report, null, 2));
    if (report.resources) process.stdout.write(renderResourcesText(report.resources));
  }
  if (settings.summaryHtml !== null) writeFileSync(settings.summaryHtml, renderVerifyHtml(report, loadChartAssets()));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`report: ${err.message}\n`);
    process.exit(2);
  },
);
