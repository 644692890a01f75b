import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VerifyReport } from "../../src/verify/report";
import type { RecentAttempt } from "../../mock-webhook/recent";
import { getJson, type MockProcess, startMock } from "../mock-webhook/fixtures";
import { buildBundles } from "../support/bundle-build";
import { type K6Process, type K6Result, k6Messages, k6UnderTest, startK6 } from "../support/k6";
import { type RedisServer, startRedis } from "../support/redis-server";
import type { E2eTarget } from "./target";

// Everything an end-to-end case runs on besides Outpost: the pinned real k6 on bundles built for
// it, the real mock process (one shared, more per case for faults or a restart) and a real
// run-state redis-server, all on 127.0.0.1 and stopped by close().

export interface SummaryMetrics {
  [name: string]: { count?: number; value?: number; thresholds?: Record<string, boolean> } | undefined;
}

export interface ThroughputRun extends K6Result {
  info: string[];
  errors: string[];
  // k6's --summary-export; empty when k6 stopped in setup.
  metrics: SummaryMetrics;
}

export interface VerifyRun extends K6Result {
  report: VerifyReport;
  // SUMMARY_JSON as verify wrote it.
  json: string;
}

// Several k6 run at once here (and other projects' on the machine): without its REST API
// server none of them fights for localhost:6565.
const NO_API_SERVER = ["--address", ""];

// The shape every case uses unless it says otherwise: 2 tenants x 2 destinations.
const RUN_DEFAULTS = { TENANTS: "2", DESTINATIONS_PER_TENANT: "2", PAYLOAD_BYTES: "512", RUN_TTL: "1h" };

export class E2eStack {
  private files = 0;
  private readonly mocks: MockProcess[] = [];
  // Every run of this suite gets a TEST_ID of its own, also against a long-lived Outpost
  // (its idempotency keys last an hour: a reused event id would be a duplicate).
  private readonly suffix = Date.now().toString(36);

  private constructor(
    readonly target: E2eTarget,
    readonly redis: RedisServer,
    readonly mock: MockProcess,
    private readonly dir: string,
  ) {}

  static async open(target: E2eTarget): Promise<E2eStack> {
    const dir = mkdtempSync(join(tmpdir(), "olt-e2e-"));
    // As docs/run-state.md asks of a run-state Redis: append-only file on (here in the temporary directory).
    const redis = await startRedis(["--appendonly", "yes", "--dir", dir]);
    const [mock] = await Promise.all([startMock({ REDIS_URL: redis.url }), buildBundles(k6UnderTest().flavour, dir)]);
    return new E2eStack(target, redis, mock, dir);
  }

  testId(name: string): string {
    return `e2e-${name}-${this.suffix}`;
  }

  // A mock of the case's own (faults by MOCK_FAULT_*), on a given port to replace a stopped one.
  async startMock(env: Record<string, string> = {}, port?: number): Promise<MockProcess> {
    const mock = await startMock({ REDIS_URL: this.redis.url, ...env }, port);
    this.mocks.push(mock);
    return mock;
  }

  throughputEnv(env: Record<string, string>, mock = this.mock): Record<string, string> {
    return {
      OUTPOST_URL: this.target.url,
      OUTPOST_API_KEY: this.target.apiKey,
      MOCK_URL: mock.url,
      REDIS_URL: this.redis.url,
      ...RUN_DEFAULTS,
      ...env,
    };
  }

  startThroughput(
    env: Record<string, string>,
    options: { mock?: MockProcess; args?: string[] } = {},
  ): { k6: K6Process; done: Promise<ThroughputRun> } {
    const summary = join(this.dir, `throughput-${++this.files}.json`);
    const k6 = startK6(join(this.dir, "throughput.js"), {
      cwd: this.dir,
      env: this.throughputEnv(env, options.mock),
      args: [...NO_API_SERVER, `--summary-export=${summary}`, ...(options.args ?? [])],
    });
    const done = k6.done.then((r) => {
      let metrics: SummaryMetrics = {};
      try {
        metrics = JSON.parse(readFileSync(summary, "utf8")).metrics;
      } catch {
        // No summary when k6 stopped in setup.
      }
      return { ...r, info: k6Messages(r.stderr, "info"), errors: k6Messages(r.stderr, "error"), metrics };
    });
    return { k6, done };
  }

  throughput(
    env: Record<string, string>,
    options: { mock?: MockProcess; args?: string[] } = {},
  ): Promise<ThroughputRun> {
    return this.startThroughput(env, options).done;
  }

  async verify(testId: string, env: Record<string, string> = {}): Promise<VerifyRun> {
    const file = join(this.dir, `verify-${++this.files}.json`);
    const k6 = startK6(join(this.dir, "verify.js"), {
      cwd: this.dir,
      args: NO_API_SERVER,
      env: {
        TEST_ID: testId,
        REDIS_URL: this.redis.url,
        OUTPOST_MAX_ATTEMPTS: String(this.target.maxAttempts),
        VERIFY_GRACE: `${this.target.quietGraceMs}ms`,
        VERIFY_POLL_INTERVAL: "200ms",
        VERIFY_TIMEOUT: "3m",
        VERIFY_LIST_MISSING: "100000",
        // A k6 run that lags at its end leaves a few scheduled slots unstarted without counting
        // them as dropped (see assertScheduled in cases-load.ts); verify's publish check would
        // call that a failure. Refused and unanswered publishes are held at 0 by throughput's
        // own thresholds, which every case checks through k6's exit code.
        VERIFY_MAX_PUBLISH_ERRORS: "10",
        SUMMARY_JSON: file,
        ...env,
      },
    });
    const r = await k6.done;
    let json: string;
    try {
      json = readFileSync(file, "utf8");
    } catch {
      throw new Error(`verify wrote no SUMMARY_JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { ...r, report: JSON.parse(json) as VerifyReport, json };
  }

  async close(): Promise<void> {
    await Promise.all([this.mock, ...this.mocks].map((m) => m.stop()));
    await this.redis.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// What a mock process itself saw of an event's attempts (its in-memory cache, not Redis).
export async function mockAttempts(mock: MockProcess, eventId: string): Promise<RecentAttempt[]> {
  const { status, json } = await getJson(mock, `/events/${encodeURIComponent(eventId)}`);
  if (status === 404) return [];
  return (json.recent as RecentAttempt[]) ?? [];
}
