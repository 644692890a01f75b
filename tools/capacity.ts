// make capacity: a step search for the knee. Each step is a short constant-rate
// run of dist/throughput.js on real k6 (K6), verified in Node with verify's own
// logic; the search stops after the first step that does not hold. Exit codes:
// 0 a knee found, 99 no step held, 2 a bad setting (one line, before any load),
// 1 k6 or Redis failed.
//   CAPACITY_START=50 CAPACITY_STEP=50 CAPACITY_MAX=400 VERIFY_MAX_E2E_P99_MS=500 npx ts-node --transpile-only tools/capacity.ts
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { loadChartAssets } from "../adapters/node/chart-assets";
import { NodeHttpPort } from "../adapters/node/http";
import { NodeRedisPort } from "../adapters/node/redis";
import { PRESETS } from "../scenarios/presets/index";
import { buildCapacityReport } from "../src/capacity/capacity-report";
import { type CapacityStep, capacityStepOf, lostCapacityStep } from "../src/capacity/capacity-step";
import { renderCapacityText } from "../src/capacity/render-capacity-text";
import { describeSearch, readCapacitySettings } from "../src/config/capacity-settings";
import { ConfigError, type Env, formatDuration } from "../src/config/env";
import { settingsFromEnv } from "../src/config/presets";
import { publicThroughputSettings, readThroughputSettings } from "../src/config/throughput-settings";
import { readVerifySettings } from "../src/config/verify-settings";
import { renderCapacityHtml } from "../src/report/capacity-html";
import {
  checkPrometheus,
  fetchResources,
  type ResourceReport,
  seriesWithin,
} from "../src/resources/prometheus-resources";
import { RedisUnavailableError } from "../src/runstate/redis-unavailable";
import { RunStateStore } from "../src/runstate/store";
import { isLostRun } from "../src/verify/report";
import { runVerification } from "../src/verify/run-verification";

const EXIT_NO_STEP_HELD = 99;
// Without a VERIFY_TIMEOUT of yours, an overloaded step is verified for at most this long.
const DEFAULT_VERIFY_TIMEOUT = "2m";
const MARGIN_MS = 10_000;

// k6 could not run a step (e.g. Outpost unreachable in its setup): its own words, no stack.
class StepFailed extends Error {}

// k6 exits 99 when throughput's thresholds fail (e.g. dropped iterations): a result, not an error.
const K6_OK = new Set([0, 99]);

function stepEnv(env: Env, rate: number, durationMs: number, testId: string): Env {
  return { ...env, PROFILE: "constant", RATE: String(rate), DURATION: formatDuration(durationMs), TEST_ID: testId };
}

async function runThroughput(env: Env, bundle: string, summaryFile: string): Promise<number> {
  const k6 = process.env.K6 || "k6";
  const child = spawn(k6, ["run", "--quiet", "--no-color", `--summary-export=${summaryFile}`, bundle], {
    env: { K6_NO_USAGE_REPORT: "true", ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once("error", (err) => reject(new StepFailed(`cannot run k6 (${k6}): ${err.message}`)));
    child.once("close", (c) => resolve(c ?? 1));
  });
  if (!K6_OK.has(code)) throw new StepFailed(`k6 exited ${code} on ${env.TEST_ID}:\n${stderr.trim()}`);
  const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as { metrics?: Record<string, { count?: number }> };
  return summary.metrics?.dropped_iterations?.count ?? 0;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

async function main(): Promise<number> {
  const env: Env = { ...process.env };
  if (env.VERIFY_TIMEOUT === undefined || env.VERIFY_TIMEOUT.trim() === "") env.VERIFY_TIMEOUT = DEFAULT_VERIFY_TIMEOUT;
  const settings = readCapacitySettings(env);
  // Every step's settings checked before any load, as k6 and verify would check them.
  const prefix = `cap-${stamp(Date.now())}`;
  const first = settingsFromEnv(
    stepEnv(env, settings.rates[0], settings.stepDurationMs, prefix),
    PRESETS,
    readThroughputSettings,
  );
  if (!first.ok) throw new ConfigError(first.error);
  const verifySettings = (testId: string) => readVerifySettings({ ...env, TEST_ID: testId });
  const redisUrl = verifySettings(prefix).redisUrl;
  const http = new NodeHttpPort();
  if (settings.prometheusUrl !== null) await checkPrometheus(http, settings.prometheusUrl);
  const bundle = env.CAPACITY_BUNDLE || "dist/throughput.js";
  // Unreachable before any load: a bad setting (exit 2); the error already names REDIS_URL.
  const redis = await NodeRedisPort.connect(redisUrl).catch((err: Error) => {
    throw new ConfigError(err.message);
  });
  const tmp = mkdtempSync(join(tmpdir(), "olt-capacity-"));
  const steps: CapacityStep[] = [];
  try {
    process.stdout.write(`capacity search: ${describeSearch(settings)}\n`);
    for (const rate of settings.rates) {
      const testId = `${prefix}-r${rate}`;
      const stepStartMs = Date.now();
      const dropped = await runThroughput(
        stepEnv(env, rate, settings.stepDurationMs, testId),
        bundle,
        join(tmp, `${testId}.json`),
      );
      const v = verifySettings(testId);
      const store = new RunStateStore(redis, testId, v.runTtlSeconds);
      const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
      const report = await runVerification(store, v, { now: () => Date.now() }, sleep);
      const step = isLostRun(report)
        ? lostCapacityStep(rate, report, dropped, stepStartMs, settings.stepDurationMs)
        : capacityStepOf(rate, report, dropped, settings.stepDurationMs);
      steps.push(step);
      process.stdout.write(
        `  ${rate}/s: delivered ${step.deliveredPerSecond?.toFixed(1) ?? "-"}/s, e2e p99 ${step.latency.e2e.p99Ms?.toFixed(1) ?? "-"} ms, dropped ${dropped}, missing ${step.missing}: ${step.held ? "held" : `did not hold (${step.reasons.join("; ")})`}\n`,
      );
      if (!step.held) break;
    }
  } finally {
    await redis.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
  let resources: ResourceReport | null = null;
  if (settings.prometheusUrl !== null) {
    resources = await fetchResources(
      http,
      settings.prometheusUrl,
      steps[0].startMs - MARGIN_MS,
      steps[steps.length - 1].endMs + MARGIN_MS,
    );
    // A step's figures leave out its first rate window, which still holds the step before.
    const settle = Math.min(Number.parseInt(resources.rateWindow, 10) * 1000, settings.stepDurationMs / 2);
    for (const s of steps) s.resources = seriesWithin(resources.series, s.startMs + settle, s.endMs);
  }
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(publicThroughputSettings(first.settings))) shown[k] = String(v);
  delete shown.RATE;
  delete shown.TEST_ID;
  shown.VERIFY_GRACE = env.VERIFY_GRACE ?? "30s";
  shown.VERIFY_TIMEOUT = env.VERIFY_TIMEOUT ?? DEFAULT_VERIFY_TIMEOUT;
  shown.OUTPOST_MAX_ATTEMPTS = env.OUTPOST_MAX_ATTEMPTS ?? "11";
  const report = buildCapacityReport(settings, steps, resources, {
    cpuCores: availableParallelism(),
    settings: shown,
    nowMs: Date.now(),
  });
  process.stdout.write(`\n${renderCapacityText(report)}`);
  if (settings.json !== null) writeFileSync(settings.json, JSON.stringify(report, null, 2));
  if (settings.html !== null) writeFileSync(settings.html, renderCapacityHtml(report, loadChartAssets()));
  return report.findings.knee === null ? EXIT_NO_STEP_HELD : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof ConfigError || err instanceof StepFailed || err instanceof RedisUnavailableError;
    process.stderr.write(`capacity: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
