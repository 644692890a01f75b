// k6 entry for verify: wiring only; the logic is src/verify (tested in Node).
// setup() waits and computes the report once, the single iteration turns it into
// gauges that the thresholds judge (exit 99 on any outcome but PASS), and
// handleSummary prints the verdict and writes SUMMARY_JSON and SUMMARY_HTML. When verify cannot
// run at all, setup aborts the test: exit 108 (src/verify/exit-codes.ts).
import { sleep } from "k6";
import exec from "k6/execution";
import { Gauge } from "k6/metrics";
import { chartAssets } from "../adapters/k6/chart-assets";
import { k6Clock } from "../adapters/k6/clock";
import { K6RedisPort } from "../adapters/k6/redis";
import { ConfigError } from "../src/config/env";
import { readVerifySettings, type VerifySettings } from "../src/config/verify-settings";
import { RedisUnavailableError } from "../src/runstate/redis-unavailable";
import { renderVerifyHtml } from "../src/report/verify-html";
import { RunStateStore } from "../src/runstate/store";
import { renderText } from "../src/verify/render-text";
import type { VerifyResult } from "../src/verify/report";
import { RunNotFoundError, runVerification } from "../src/verify/run-verification";
import { verdictMetricNames, verdictMetricValues, verdictThresholds } from "../src/verify/verdict-metrics";

const PROGRESS_LOG_EVERY_MS = 10_000;
// Time for the ledger and report after the wait itself.
const SETUP_SLACK_MS = 5 * 60_000;

// A bad setting is reported by setup() through exec.test.abort: an abort in the init context
// reaches the user as k6's "could not initialize … at <stack>" instead of one line.
function loadSettings(): { settings: VerifySettings } | { error: string } {
  try {
    return { settings: readVerifySettings(__ENV) };
  } catch (err) {
    if (err instanceof ConfigError) return { error: err.message };
    throw err;
  }
}

const loaded = loadSettings();
const settings = "settings" in loaded ? loaded.settings : null;
// k6 convention: module clients are created in the init context; it connects on first use.
const store =
  settings === null
    ? null
    : new RunStateStore(new K6RedisPort(settings.redisUrl), settings.testId, settings.runTtlSeconds);
const gauges = new Map(verdictMetricNames().map((name) => [name, new Gauge(name)]));

export const options = {
  scenarios: { verify: { executor: "shared-iterations", vus: 1, iterations: 1, maxDuration: "1m" } },
  ...(settings === null
    ? {}
    : {
        setupTimeout: `${Math.ceil((settings.timeoutMs + SETUP_SLACK_MS) / 1000)}s`,
        thresholds: verdictThresholds(settings),
      }),
};

export async function setup(): Promise<VerifyResult> {
  if (settings === null || store === null) {
    exec.test.abort("error" in loaded ? loaded.error : "no settings");
    throw new Error("aborted");
  }
  let lastLog = -Infinity;
  try {
    return await runVerification(
      store,
      settings,
      k6Clock,
      // A blocking sleep is safe here: nothing is pending between polls.
      (ms) => {
        sleep(ms / 1000);
        return Promise.resolve();
      },
      (p) => {
        if (p.waitedMs - lastLog < PROGRESS_LOG_EVERY_MS) return;
        lastLog = p.waitedMs;
        console.log(
          `verify ${settings.testId}: ${p.delivered} of ${p.expected} expected deliveries after ${Math.round(p.waitedMs / 1000)} s`,
        );
      },
    );
  } catch (err) {
    // Every way verify cannot run ends the test with exit 108 and one line;
    // anything unexpected keeps its stack in the log first.
    const known = err instanceof RunNotFoundError || err instanceof RedisUnavailableError;
    if (!known) console.error(String((err as Error)?.stack ?? err));
    exec.test.abort(known ? (err as Error).message : `verify could not run: ${(err as Error)?.message ?? String(err)}`);
    throw err;
  }
}

export default function (report: VerifyResult): void {
  for (const [name, value] of Object.entries(verdictMetricValues(report))) gauges.get(name)?.add(value);
}

export function handleSummary(data: { setup_data?: VerifyResult }): Record<string, string> {
  const report = data.setup_data;
  if (report === undefined || settings === null) return { stdout: "verify: no report (setup did not finish)\n" };
  const out: Record<string, string> = { stdout: renderText(report) };
  if (settings.summaryJson !== null) out[settings.summaryJson] = JSON.stringify(report, null, 2);
  if (settings.summaryHtml !== null) out[settings.summaryHtml] = renderVerifyHtml(report, chartAssets);
  return out;
}
