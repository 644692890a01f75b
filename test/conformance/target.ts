import { exec } from "node:child_process";
import { NodeHttpPort } from "../../adapters/node/http";
import { type Env, readInt, readUrl } from "../../src/config/env";
import type { HttpRequest, HttpResponse } from "../../src/ports";
import { type OutpostFake, startOutpostFake } from "../support/outpost-fake";
import { type RetryPolicy, retryPolicy } from "../support/outpost-fake/retry";
import { type FakeSettings, readFakeSettings } from "../support/outpost-fake/settings";

// What the conformance suite runs against: the fake started in-process (the default), or
// any Outpost at OUTPOST_URL (CONFORMANCE_TARGET=env, which `make conformance` sets when
// OUTPOST_URL is given). A real Outpost's settings are read from the same environment
// variables Outpost reads, so sourcing the file Outpost was started with describes it.

export interface TargetTiming {
  // Longest wait for a delivery that should come at once.
  deliverMs: number;
  // How long to watch for a delivery that must not come (a duplicate, a disabled destination).
  quietMs: number;
  // How late a retry may be. Outpost re-reads the failed attempt from its log store before a
  // retry; until the log batch is written the retry is hidden for RETRY_VISIBILITY_TIMEOUT_SECONDS
  // (internal/deliverymq/retry.go), so it can be that much later than its schedule.
  retryLateMs: number;
}

export interface TargetControl {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface Target {
  kind: "fake-in-process" | "env";
  url: string;
  apiKey: string;
  settings: FakeSettings;
  policy: RetryPolicy;
  timing: TargetTiming;
  control?: TargetControl;
  // The commands behind `control` for a real Outpost, for the results file.
  controlCommands?: { stop: string; start: string };
  // Outpost settings the suite read (no secrets), for the results file.
  env: Record<string, string>;
  version?: string;
  commit?: string;
  fake?: OutpostFake;
  close(): Promise<void>;
}

// Outpost variables that describe the target; recorded with the results. No secrets here.
export const OUTPOST_SETTING_NAMES = [
  "RETRY_SCHEDULE",
  "MAX_RETRY_LIMIT",
  "RETRY_INTERVAL_SECONDS",
  "RETRY_VISIBILITY_TIMEOUT_SECONDS",
  "LOG_BATCH_THRESHOLD_SECONDS",
  "DELIVERY_MAX_CONCURRENCY",
  "DELIVERY_TIMEOUT_SECONDS",
  "DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP",
  "MAX_DESTINATIONS_PER_TENANT",
  "PUBLISH_IDEMPOTENCY_KEY_TTL",
] as const;

// The in-process fake runs with short delays so the whole suite takes seconds.
export const FAKE_TARGET_SETTINGS: Partial<FakeSettings> = {
  apiKey: "conformance-key-not-a-secret",
  retrySchedule: [0.1, 0.2, 0.3],
  // Ignored: RETRY_SCHEDULE's length is the limit (as in the recorded real run).
  maxRetryLimit: 1,
  deliveryMaxConcurrency: 3,
  deliveryTimeoutSeconds: 0.5,
  includeMillisecondTimestamp: true,
};

const http = new NodeHttpPort();

export async function request(req: HttpRequest): Promise<HttpResponse> {
  return http.request({ timeoutMs: 15_000, ...req });
}

function sh(command: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    exec(command, { env: process.env }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${what} (${command}) failed: ${stderr.trim().split("\n").pop() ?? err.message}`));
      else resolve();
    });
  });
}

async function waitForHealth(url: string, up: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request({ method: "GET", url: `${url}/healthz`, timeoutMs: 2000 });
    if (up ? res.status === 200 : res.status === 0) return;
    if (Date.now() > deadline)
      throw new Error(`Outpost at ${url} did not ${up ? "come up" : "go down"} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function openTarget(env: Env): Promise<Target> {
  if ((env.CONFORMANCE_TARGET ?? "fake") === "fake") {
    const fake = await startOutpostFake(FAKE_TARGET_SETTINGS);
    return {
      kind: "fake-in-process",
      url: fake.url,
      apiKey: fake.settings.apiKey,
      settings: fake.settings,
      policy: retryPolicy(fake.settings),
      timing: { deliverMs: 3000, quietMs: 200, retryLateMs: 400 },
      control: { stop: () => fake.stop(), start: () => fake.start() },
      env: {
        RETRY_SCHEDULE: fake.settings.retrySchedule.join(","),
        MAX_RETRY_LIMIT: String(fake.settings.maxRetryLimit),
        DELIVERY_MAX_CONCURRENCY: String(fake.settings.deliveryMaxConcurrency),
        DELIVERY_TIMEOUT_SECONDS: String(fake.settings.deliveryTimeoutSeconds),
        DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP: String(fake.settings.includeMillisecondTimestamp),
      },
      fake,
      close: () => fake.stop(),
    };
  }
  if (env.CONFORMANCE_TARGET !== "env")
    throw new Error(`CONFORMANCE_TARGET=${JSON.stringify(env.CONFORMANCE_TARGET)} is invalid: expected fake or env`);
  const url = readUrl(env, "OUTPOST_URL", "http://127.0.0.1:3333");
  // API_KEY is Outpost's own name for the key; OUTPOST_API_KEY is what the suite sends.
  const settings = { ...readFakeSettings({ ...env, API_KEY: "" }), apiKey: env.OUTPOST_API_KEY ?? "" };
  const visibilityS = readInt(env, "RETRY_VISIBILITY_TIMEOUT_SECONDS", 30, 0, 86_400);
  const logBatchS = readInt(env, "LOG_BATCH_THRESHOLD_SECONDS", 10, 0, 86_400);
  const stopCmd = env.OUTPOST_STOP_CMD?.trim();
  const startCmd = env.OUTPOST_START_CMD?.trim();
  await waitForHealth(url, true, 10_000);
  return {
    kind: "env",
    url,
    apiKey: settings.apiKey,
    settings,
    policy: retryPolicy(settings),
    timing: { deliverMs: 10_000, quietMs: 1500, retryLateMs: (visibilityS + logBatchS) * 1000 + 3000 },
    control:
      stopCmd && startCmd
        ? {
            stop: async () => {
              await sh(stopCmd, "OUTPOST_STOP_CMD");
              await waitForHealth(url, false, 30_000);
            },
            start: async () => {
              await sh(startCmd, "OUTPOST_START_CMD");
              await waitForHealth(url, true, 60_000);
            },
          }
        : undefined,
    controlCommands: stopCmd && startCmd ? { stop: stopCmd, start: startCmd } : undefined,
    env: Object.fromEntries(
      OUTPOST_SETTING_NAMES.flatMap((n) => (env[n]?.trim() ? [[n, (env[n] as string).trim()]] : [])),
    ),
    version: env.OUTPOST_VERSION?.trim() || undefined,
    commit: env.OUTPOST_COMMIT?.trim() || undefined,
    close: async () => {},
  };
}
