import { type ChildProcess, spawn } from "node:child_process";
import type { RedisPort } from "../../src/ports";
import type { RunProfile, RunRecord } from "../../src/runstate/record";
import { RunStateStore } from "../../src/runstate/store";
import { freePort } from "../support/redis-server";
import { testProfiles, testRunRecord } from "../support/run-record";
import { outpostDelivery } from "./outpost-request";

export const secretOf = (d: number): string => `whsec_test_secret_${d}`;

// A run record as throughput's setup would write it, with known secrets (an
// empty secret leaves the destination's signatures unchecked): T x D in one
// unnamed profile with retries on, or the given profiles.
export async function createRun(
  redis: RedisPort,
  testId: string,
  shape: { tenants: number; destinationsPerTenant: number } | RunProfile[],
  secret: (d: number) => string = secretOf,
): Promise<{ record: RunRecord; store: RunStateStore }> {
  const now = Date.now();
  const profiles = Array.isArray(shape) ? shape : testProfiles([{ name: "", ...shape, retry: true }]);
  const base = testRunRecord(testId, 0, 0, { profiles });
  const record: RunRecord = {
    ...base,
    startedAtMs: now - 60_000,
    warmupEndsAtMs: now - 60_000,
    plannedEndMs: now - 30_000,
    destinations: base.destinations.map((d) => ({ ...d, secret: secret(d.index) })),
  };
  const store = new RunStateStore(redis, testId);
  await store.createRunRecord(record);
  return { record, store };
}

export interface MockProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  // Resolves with the exit code (null when killed by a signal).
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

// The real server process, run from source through ts-node so the tests need no build step.
// A port given starts it where an earlier one listened (a mock restarted mid-run).
export async function startMock(env: Record<string, string>, port?: number): Promise<MockProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "mock-webhook/main.ts"], {
    env: { ...process.env, MOCK_HOST: "127.0.0.1", MOCK_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const mock: MockProcess = {
    url,
    child,
    output: () => out,
    exited,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`mock exited at start (${child.exitCode}): ${out}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return mock;
    await new Promise((r) => setTimeout(r, 50));
  }
  await mock.stop("SIGKILL");
  throw new Error(`mock did not become healthy: ${out}`);
}

export interface Answer {
  status: number;
  body: string;
  // Transport failure (reset, refused), when no status arrived.
  error?: string;
}

export async function post(
  mock: MockProcess,
  delivery: { path: string; headers: Record<string, string>; body: string },
): Promise<Answer> {
  try {
    const r = await fetch(`${mock.url}${delivery.path}`, {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    return { status: r.status, body: await r.text() };
  } catch (err) {
    return { status: 0, body: "", error: String((err as Error).cause ?? err) };
  }
}

export async function deliver(
  mock: MockProcess,
  testId: string,
  seq: number,
  destination: number,
  secrets = [secretOf(destination)],
  profile = "",
): Promise<Answer> {
  return post(mock, outpostDelivery({ testId, seq, destination, secrets, t0Ms: Date.now() - 20, profile }));
}

export async function getJson(
  mock: MockProcess,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${mock.url}${path}`, init);
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

// Sum of one metric's samples whose labels contain all of `labels`.
export async function metric(mock: MockProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${mock.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) total += Number(m[3]);
  }
  return total;
}

// Runs tasks with at most `width` in flight.
export async function inParallel<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}
