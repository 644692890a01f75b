// npm run bench:mock — drives the compiled mock webhook with autocannon using
// Outpost-like deliveries (2 KiB signed JSON, distinct event ids of a real run
// record), receipts recorded in a real redis-server, then checks that Redis
// holds exactly one receipt per 2xx answer.
import autocannon from "autocannon";
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { NodeRedisPort } from "../adapters/node/redis";
import { readDurationMs, readInt, readString } from "../src/config/env";
import { RunStateStore } from "../src/runstate/store";
import { createRun, secretOf } from "../test/mock-webhook/fixtures";
import { outpostDelivery } from "../test/mock-webhook/outpost-request";
import { freePort, startRedis } from "../test/support/redis-server";

const env = process.env;
// Requests per run: BENCH_RATE x BENCH_DURATION.
const DURATION_S = readDurationMs(env, "BENCH_DURATION", "10s", 1000, 600_000) / 1000;
const CONNECTIONS = readInt(env, "BENCH_CONNECTIONS", 64, 1, 4096);
const RATE = readInt(env, "BENCH_RATE", 10_000, 1, 1_000_000);
const WORKER_COUNTS = readString(env, "BENCH_WORKERS", "1,2", /^[1-9][0-9]?(,[1-9][0-9]?)*$/, "comma-separated worker counts, e.g. 1,2").split(",").map(Number);
const SHAPE = { tenants: 16, destinationsPerTenant: 1 };

interface Row {
  workers: number;
  mode: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  recorded: number;
  peakRssMiB: number;
}

// Peak resident set (VmHWM) of the mock and, in cluster mode, of each worker.
function peakRssMiB(pid: number): number {
  const status = (p: number): string => readFileSync(`/proc/${p}/status`, "utf8");
  const hwm = (p: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(status(p))?.[1] ?? 0) / 1024;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return Math.round([pid, ...children].reduce((sum, p) => sum + hwm(p), 0));
}

async function startCompiledMock(redisUrl: string, workers: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["build/mock-webhook/main.js"], {
    env: { ...env, REDIS_URL: redisUrl, MOCK_PORT: String(port), MOCK_HOST: "127.0.0.1", MOCK_WORKERS: String(workers) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/healthz`).then((r) => r.status, () => 0)) === 200) {
      // Every worker must be up before the clock starts.
      await new Promise((r) => setTimeout(r, 300 * workers));
      return { url, child };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("mock did not start");
}

async function run(redis: NodeRedisPort, redisUrl: string, workers: number, mode: "rate" | "max"): Promise<Row> {
  const testId = `bench-${workers}w-${mode}-${Date.now()}`;
  const { record, store } = await createRun(redis, testId, SHAPE);
  const mock = await startCompiledMock(redisUrl, workers);
  let seq = 0;
  const result = await autocannon({
    url: mock.url,
    connections: CONNECTIONS,
    // A fixed count rather than a duration: autocannon then waits for every
    // answer, so the 2xx count can be compared with Redis exactly.
    amount: RATE * DURATION_S,
    ...(mode === "rate" ? { overallRate: RATE } : {}),
    requests: [
      {
        method: "POST",
        setupRequest: (req) => {
          const s = seq++;
          const d = outpostDelivery({ testId, seq: s, destination: s % SHAPE.tenants, secrets: [secretOf(s % SHAPE.tenants)], t0Ms: Date.now() - 5 });
          return { ...req, path: d.path, headers: d.headers, body: d.body };
        },
      },
    ],
  });
  const peak = peakRssMiB(mock.child.pid as number);
  mock.child.kill("SIGTERM");
  await new Promise((r) => mock.child.once("exit", r));
  return {
    workers,
    mode: mode === "rate" ? `${RATE}/s` : "max",
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    recorded: await recorded(store, record.destinations.map((d) => d.index)),
    peakRssMiB: peak,
  };
}

async function recorded(store: RunStateStore, destinations: number[]): Promise<number> {
  let total = 0;
  for (const d of destinations) total += (await store.counters(store.keys.destination(d))).first ?? 0;
  return total;
}

async function main(): Promise<void> {
  const server = await startRedis();
  const redis = await NodeRedisPort.connect(server.url);
  const rows: Row[] = [];
  try {
    for (const workers of WORKER_COUNTS) for (const mode of ["rate", "max"] as const) rows.push(await run(redis, server.url, workers, mode));
  } finally {
    await redis.close();
    await server.stop();
  }
  console.log(`\n$ BENCH_DURATION=${DURATION_S}s BENCH_CONNECTIONS=${CONNECTIONS} BENCH_RATE=${RATE} BENCH_WORKERS=${WORKER_COUNTS.join(",")} npm run bench:mock`);
  console.log(`node ${process.version}, ${SHAPE.tenants} destinations, 2 KiB signed bodies, latencies in ms (autocannon)\n`);
  console.table(rows);
  const mismatched = rows.filter((r) => r.recorded !== r.ok);
  if (mismatched.length > 0) {
    console.error(`Redis ledger disagrees with the 2xx answers: ${JSON.stringify(mismatched)}`);
    process.exit(1);
  }
  console.log("Redis holds exactly one receipt per 2xx answer in every run.");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
