// Node entry for verify: the same src/verify logic as scenarios/verify.ts, for
// tests and drivers that have no k6, with k6's exit codes (src/verify/exit-codes.ts):
// 0 PASS, 99 FAIL, VOID or INCOMPLETE, 108 when verify cannot run. With PROMETHEUS_URL
// the run window's resources go into SUMMARY_JSON and SUMMARY_HTML (see tools/report.ts).
//   TEST_ID=... npx ts-node --transpile-only tools/verify.ts
import { writeFileSync } from "node:fs";
import { loadChartAssets } from "../adapters/node/chart-assets";
import { NodeHttpPort } from "../adapters/node/http";
import { NodeRedisPort } from "../adapters/node/redis";
import { ConfigError } from "../src/config/env";
import { readPrometheusUrl } from "../src/config/report-settings";
import { readVerifySettings } from "../src/config/verify-settings";
import { RedisUnavailableError } from "../src/runstate/redis-unavailable";
import { renderVerifyHtml } from "../src/report/verify-html";
import { checkPrometheus, type WithResources } from "../src/resources/prometheus-resources";
import { renderResourcesText } from "../src/resources/render-resources-text";
import { foldInResources } from "../src/resources/run-window";
import { RunStateStore } from "../src/runstate/store";
import { EXIT_CANNOT_RUN, exitCodeFor } from "../src/verify/exit-codes";
import { isLostRun, type VerifyResult } from "../src/verify/report";
import { renderText } from "../src/verify/render-text";
import { RunNotFoundError, runVerification } from "../src/verify/run-verification";

async function main(): Promise<number> {
  const settings = readVerifySettings(process.env);
  const prometheusUrl = readPrometheusUrl(process.env);
  const http = new NodeHttpPort();
  if (prometheusUrl !== null) await checkPrometheus(http, prometheusUrl);
  const redis = await NodeRedisPort.connect(settings.redisUrl);
  try {
    const store = new RunStateStore(redis, settings.testId, settings.runTtlSeconds);
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const verified = await runVerification(store, settings, { now: () => Date.now() }, sleep);
    process.stdout.write(renderText(verified));
    // A lost run has no window to ask Prometheus about.
    const report: VerifyResult & WithResources =
      prometheusUrl === null || isLostRun(verified) ? verified : await foldInResources(http, prometheusUrl, verified);
    if (report.resources) process.stdout.write(renderResourcesText(report.resources));
    if (settings.summaryJson !== null) writeFileSync(settings.summaryJson, JSON.stringify(report, null, 2));
    if (settings.summaryHtml !== null) writeFileSync(settings.summaryHtml, renderVerifyHtml(report, loadChartAssets()));
    return exitCodeFor(report.outcome);
  } finally {
    await redis.close().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Expected failures are one line; anything else keeps its stack.
    const known = err instanceof ConfigError || err instanceof RunNotFoundError || err instanceof RedisUnavailableError;
    process.stderr.write(`verify: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
    process.exit(EXIT_CANNOT_RUN);
  },
);
