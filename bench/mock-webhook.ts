// npm run bench:mock — drives the compiled mock webhook with autocannon using
// Outpost-like deliveries (2 KiB signed JSON, realistic headers, distinct event
// ids of a real run record), receipts recorded in a real redis-server; then
// checks that Redis holds exactly one receipt per 2xx answer. A no-op HTTP
// server run first shows what the load generator itself can drive here, and the
// ratios of the mock's CPU per delivery and p99 to it are printed from the same
// run. Last, one mock process under 10x overload (ten times the connections,
// flat out) shows that its memory stays bounded.
import autocannon from "autocannon";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { NodeRedisPort } from "../adapters/node/redis";
import { readDurationMs, readInt, readString } from "../src/config/env";
import { eventId, T0_HEADER } from "../src/runstate/identity";
import type { RunStateStore } from "../src/runstate/store";
import { createRun, secretOf } from "../test/mock-webhook/fixtures";
import { outpostDelivery, rfc3339Nano } from "../test/mock-webhook/outpost-request";
import { freePort, startRedis } from "../test/support/redis-server";
import { settingOrExit } from "./support/settings";

const env = process.env;
// Requests per run: BENCH_RATE x BENCH_DURATION.
const { DURATION_S, CONNECTIONS, RATE, WORKER_COUNTS } = settingOrExit("bench:mock", () => ({
  DURATION_S: readDurationMs(env, "BENCH_DURATION", "10s", 1000, 600_000) / 1000,
  CONNECTIONS: readInt(env, "BENCH_CONNECTIONS", 64, 1, 4096),
  RATE: readInt(env, "BENCH_RATE", 2000, 1, 1_000_000),
  WORKER_COUNTS: readString(
    env,
    "BENCH_WORKERS",
    "1,2",
    /^[1-9][0-9]?(,[1-9][0-9]?)*$/,
    "comma-separated worker counts, e.g. 1,2",
  )
    .split(",")
    .map(Number),
}));
const OVERLOAD = 10;
// Node flags for the mock's processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
const NODE_FLAGS = (env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
const SHAPE = { tenants: 16, destinationsPerTenant: 1 };
// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s.
const CLOCK_TICKS_PER_S = 100;

const NOOP_SERVER = `require("node:http").createServer((q, s) => { q.resume(); q.on("end", () => s.end('{"received":true}')); })
  .listen(Number(process.env.MOCK_PORT), "127.0.0.1"); process.on("SIGTERM", () => process.exit(0));`;

interface Row {
  target: string;
  mode: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  recorded: number | string;
  serverCpuUsPerReq: number;
  redisUsPerDelivery: number | string;
  // Receipts per Redis call: how well the mock's ReceiptWriter batches.
  deliveriesPerCall: number | string;
  peakRssMiB: number;
}

function processTree(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return [pid, ...children];
}

function cpuMs(pids: number[]): number {
  return pids.reduce((sum, p) => {
    const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
    return sum + ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  }, 0);
}

// Peak resident set (VmHWM), summed over the primary and its workers.
function peakRssMiB(pids: number[]): number {
  const hwm = (p: number): number =>
    Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0) / 1024;
  return Math.round(pids.reduce((sum, p) => sum + hwm(p), 0));
}

async function startServer(
  args: string[],
  extraEnv: Record<string, string>,
  workers: number,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...env, ...extraEnv, MOCK_PORT: String(port), MOCK_HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (
      (await fetch(`${url}/healthz`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    ) {
      // Every worker must be up before the clock starts.
      await new Promise((r) => setTimeout(r, 300 * workers));
      return { url, child };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${args.join(" ")} did not start`);
}

// Per destination the body and its signature are made once; per request only
// the event id and the timestamps change, so the generator stays cheap.
function requestFactory(testId: string): () => { path: string; headers: Record<string, string>; body: string } {
  const templates = Array.from({ length: SHAPE.tenants }, (_, d) =>
    outpostDelivery({ testId, seq: d, destination: d, secrets: [secretOf(d)] }),
  );
  let seq = 0;
  let stampMs = 0;
  let stamp = "";
  return () => {
    const s = seq++;
    const t = templates[s % SHAPE.tenants];
    const now = Date.now();
    if (now !== stampMs) [stampMs, stamp] = [now, rfc3339Nano(now)];
    const headers = {
      ...t.headers,
      "x-outpost-event-id": eventId(testId, { name: "" }, s),
      "x-outpost-timestamp-ms": stamp,
      [T0_HEADER]: String(now - 5),
    };
    return { path: t.path, headers, body: t.body };
  };
}

// Redis time of the receipt scripts since the last CONFIG RESETSTAT.
async function evalshaStats(redis: NodeRedisPort): Promise<{ calls: number; us: number }> {
  const info = String(await redis.command(["INFO", "commandstats"]));
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return { calls: Number(m?.[1] ?? Number.NaN), us: Number(m?.[2] ?? Number.NaN) };
}

interface Driven {
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
}

// autocannon's rate limit sends each connection's quota for a second back to back when the
// second starts (lib/httpClient.js: reqsMadeThisSecond, reset by a 1 s interval), so at a
// fixed rate its latencies measure how long a burst takes to drain. This driver spreads the
// requests evenly instead (due times every 1/rate s, over up to `connections` keep-alive
// sockets), as Outpost's delivery workers send, so p99 is what the server adds. Latency counts
// from the request's due time: a late send is not hidden.
async function steady(
  url: string,
  next: () => { path: string; headers: Record<string, string>; body: string },
  rate: number,
  amount: number,
): Promise<Driven> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const settled = (): void => {
      if (latencies.length + non2xx + errors === amount) resolve();
    };
    const tick = (): void => {
      const due = Math.min(amount, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        const dueAt = start + (sent * 1000) / rate;
        const r = next();
        const req = request(`${url}${r.path}`, { method: "POST", agent, headers: r.headers }, (res) => {
          res.resume();
          res.once("end", () => {
            if (res.statusCode !== undefined && res.statusCode < 300) latencies.push(performance.now() - dueAt);
            else non2xx++;
            settled();
          });
        });
        req.once("error", () => {
          errors++;
          settled();
        });
        req.end(r.body);
      }
      if (sent < amount) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => Math.round(latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)] * 10) / 10;
  return {
    ok: latencies.length,
    non2xx,
    errors,
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
    seconds: (performance.now() - start) / 1000,
  };
}

async function run(
  redis: NodeRedisPort,
  redisUrl: string,
  workers: number,
  mode: "rate" | "max" | "steady",
  connections = CONNECTIONS,
): Promise<Row> {
  const noop = workers === 0;
  const testId = `bench-${workers}w-${mode}-${Date.now()}`;
  const { record, store } = await createRun(redis, testId, SHAPE);
  const server = noop
    ? await startServer(["-e", NOOP_SERVER], {}, 1)
    : await startServer(
        [...NODE_FLAGS, "build/mock-webhook/main.js"],
        { REDIS_URL: redisUrl, MOCK_WORKERS: String(workers) },
        workers,
      );
  const pids = processTree(server.child.pid as number);
  const next = requestFactory(testId);
  await redis.command(["CONFIG", "RESETSTAT"]);
  const cpuBefore = cpuMs(pids);
  const amount = RATE * DURATION_S;
  const result: Driven =
    mode === "steady"
      ? await steady(server.url, next, RATE, amount)
      : await autocannon({
          url: server.url,
          connections,
          // A fixed count rather than a duration: autocannon then waits for every
          // answer, so the 2xx count can be compared with Redis exactly.
          amount,
          ...(mode === "rate" ? { overallRate: RATE } : {}),
          requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...next() }) }],
        }).then((r) => ({
          ok: r["2xx"],
          non2xx: r.non2xx,
          errors: r.errors,
          p50: r.latency.p50,
          p99: r.latency.p99,
          max: r.latency.max,
          seconds: r.duration,
        }));
  const cpuUs = (cpuMs(pids) - cpuBefore) * 1000;
  const peak = peakRssMiB(pids);
  server.child.kill("SIGTERM");
  await new Promise((r) => server.child.once("exit", r));
  const deliveries = noop
    ? 0
    : await recorded(
        store,
        record.destinations.map((d) => d.index),
      );
  const evalsha = await evalshaStats(redis);
  return {
    target: `${noop ? "no-op server" : `mock, ${workers} worker(s)`}${connections === CONNECTIONS ? "" : `, ${connections} conns`}`,
    mode: { rate: `${RATE}/s`, max: "max", steady: `${RATE}/s steady` }[mode],
    rps: Math.round(result.ok / result.seconds),
    p50: result.p50,
    p99: result.p99,
    max: result.max,
    ok: result.ok,
    non2xx: result.non2xx,
    errors: result.errors,
    recorded: noop ? "-" : deliveries,
    serverCpuUsPerReq: Math.round(cpuUs / Math.max(1, result.ok)),
    redisUsPerDelivery: noop ? "-" : Math.round((10 * evalsha.us) / Math.max(1, deliveries)) / 10,
    deliveriesPerCall: noop ? "-" : Math.round((10 * deliveries) / Math.max(1, evalsha.calls)) / 10,
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
  const noop = {} as Record<"rate" | "steady" | "max", Row>;
  const ratios: string[] = [];
  let overload: Row;
  try {
    for (const mode of ["rate", "steady", "max"] as const) noop[mode] = await run(redis, server.url, 0, mode);
    rows.push(noop.rate, noop.steady, noop.max);
    for (const workers of WORKER_COUNTS) {
      const mock = {
        rate: await run(redis, server.url, workers, "rate"),
        steady: await run(redis, server.url, workers, "steady"),
        max: await run(redis, server.url, workers, "max"),
      };
      rows.push(mock.rate, mock.steady, mock.max);
      const cpu = (mode: "steady" | "rate" | "max"): string =>
        `${(mock[mode].serverCpuUsPerReq / noop[mode].serverCpuUsPerReq).toFixed(2)}x ${{ steady: `at a steady ${RATE}/s`, rate: `in autocannon's ${RATE}/s`, max: "flat out" }[mode]}`;
      const added = (mode: "steady" | "rate", p: "p50" | "p99"): string => {
        const ms = Math.round((mock[mode][p] - noop[mode][p]) * 10) / 10;
        return `${p} ${mock[mode][p]} vs ${noop[mode][p]} ms (${ms >= 0 ? "+" : ""}${ms} ms)`;
      };
      ratios.push(
        `mock (${workers} worker(s)) / no-op server, CPU per delivery: ${cpu("steady")}, ${cpu("rate")}, ${cpu("max")}; at a steady ${RATE}/s ${added("steady", "p50")}, ${added("steady", "p99")}; in autocannon's per-second bursts ${added("rate", "p99")}`,
      );
    }
    overload = await run(redis, server.url, 1, "max", CONNECTIONS * OVERLOAD);
    rows.push(overload);
  } finally {
    await redis.close();
    await server.stop();
  }
  console.log(
    `\n$ BENCH_DURATION=${DURATION_S}s BENCH_CONNECTIONS=${CONNECTIONS} BENCH_RATE=${RATE} BENCH_WORKERS=${WORKER_COUNTS.join(",")} npm run bench:mock`,
  );
  console.log(
    `node ${process.version}, ${SHAPE.tenants} destinations, 2 KiB signed bodies, ${RATE * DURATION_S} requests per run, latencies in ms (autocannon), MOCK_* defaults\n`,
  );
  console.table(rows);
  for (const line of ratios) console.log(line);
  const normal = rows.find((r) => r.target === "mock, 1 worker(s)" && r.mode === "max");
  console.log(
    `${OVERLOAD}x overload (one mock process, ${CONNECTIONS * OVERLOAD} connections flat out): peak RSS ${overload.peakRssMiB} MiB (${normal?.peakRssMiB ?? "-"} MiB at ${CONNECTIONS}), p99 ${overload.p99} ms, ${overload.ok} answered 2xx, ${overload.non2xx} other, ${overload.errors} errors`,
  );
  const mismatched = rows.filter((r) => typeof r.recorded === "number" && r.recorded !== r.ok);
  if (mismatched.length > 0) {
    console.error(`Redis ledger disagrees with the 2xx answers: ${JSON.stringify(mismatched)}`);
    process.exit(1);
  }
  console.log("Redis holds exactly one receipt per 2xx answer in every mock run.");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
