// What the generator costs per event: the pinned real k6 running a bare publish script
// (bench/k6/bare-publish.js) and dist/throughput.js at the same rate and VUs against a fast
// sink (bench/support/publish-sink.ts), in one run. CPU per event counts k6's CPU (user + sys,
// setup and teardown included) plus the run-state redis-server's (INFO cpu): both are the
// harness's cost. Ratios are the point; absolute figures vary with the machine. Then k6's
// peak RSS at a low rate with BENCH_VUS VUs: memory per VU, the slope between the counts.
//   npm run bench:generator            BENCH_RATES=500,2000 BENCH_DURATION=10s BENCH_RSS_VUS=10,100,300
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeRedisPort } from "../adapters/node/redis";
import { readDurationMs, readString } from "../src/config/env";
import { buildBundles, ROOT } from "../test/support/bundle-build";
import { k6UnderTest } from "../test/support/k6";
import { startRedis } from "../test/support/redis-server";
import { startPublishSink } from "./support/publish-sink";
import { settingOrExit } from "./support/settings";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const LIST = /^[1-9][0-9]{0,5}(,[1-9][0-9]{0,5})*$/;
const list = (name: string, def: string): number[] =>
  readString(process.env, name, def, LIST, "comma-separated whole numbers, e.g. 500,2000").split(",").map(Number);
const { rates, duration, vuCounts } = settingOrExit("bench:generator", () => ({
  rates: list("BENCH_RATES", "500,2000"),
  duration: `${readDurationMs(process.env, "BENCH_DURATION", "10s", 1000, 600_000) / 1000}s`,
  vuCounts: list("BENCH_RSS_VUS", "10,100,300"),
}));
// The memory runs: a rate any VU count keeps up with, long enough for every VU to run.
const VU_RUN = { rate: 100, duration: "5s" };

interface Measured {
  exitCode: number;
  k6CpuMs: number;
  redisCpuMs: number;
  events: number;
  dropped: number;
  peakRssMiB: number;
}

// The shell waits for k6, then its own /proc stat holds k6's whole CPU time in cutime/cstime
// (fields 16, 17): exact, however short the last moments of the process.
function runMeasured(
  script: string,
  env: Record<string, string>,
  summaryFile: string,
): Promise<Omit<Measured, "redisCpuMs" | "events">> {
  const k6 = k6UnderTest().path;
  const child = spawn(
    "sh",
    [
      "-c",
      '"$@" >/dev/null 2>&1; rc=$?; cat /proc/$$/stat >&2; exit $rc',
      "sh",
      k6,
      "run",
      "--quiet",
      `--summary-export=${summaryFile}`,
      script,
    ],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", K6_NO_USAGE_REPORT: "true", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stat = "";
  child.stderr.on("data", (c: Buffer) => {
    stat += c.toString();
  });
  let peakKiB = 0;
  // VmHWM is the peak resident set of the k6 process (the shell's only child).
  const poll = setInterval(() => {
    try {
      const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
      if (kids === "") return;
      const status = readFileSync(`/proc/${kids.split(" ")[0]}/status`, "utf8");
      peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // k6 not started yet, or gone.
    }
  }, 200);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearInterval(poll);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the ")" the fields start at 3 (state): cutime is field 16, cstime 17.
      const cpuTicks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
      const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as { metrics: Record<string, { count?: number }> };
      resolve({
        exitCode: code ?? -1,
        k6CpuMs: (cpuTicks * 1000) / TICKS_PER_SECOND,
        dropped: summary.metrics.dropped_iterations?.count ?? 0,
        peakRssMiB: peakKiB / 1024,
      });
    });
  });
}

async function redisCpuMs(url: string): Promise<number> {
  const redis = await NodeRedisPort.connect(url);
  const info = String(await redis.command(["INFO", "cpu"]));
  await redis.close();
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds("used_cpu_user") + seconds("used_cpu_sys")) * 1000;
}

async function measure(
  script: "bare" | "throughput",
  rate: number,
  dir: string,
  runFor: string,
  vus = String(Math.ceil(rate * 0.02) + 4),
): Promise<Measured> {
  const [redis, sink] = await Promise.all([startRedis(), startPublishSink()]);
  try {
    const before = await redisCpuMs(redis.url);
    const run = await runMeasured(
      script === "bare" ? join(ROOT, "bench/k6/bare-publish.js") : join(dir, "throughput.js"),
      {
        OUTPOST_URL: sink.url,
        OUTPOST_API_KEY: "bench-key",
        MOCK_URL: sink.url,
        REDIS_URL: redis.url,
        TEST_ID: `bench-${rate}-${vus}`,
        RATE: String(rate),
        DURATION: runFor,
        PRE_ALLOCATED_VUS: vus,
        MAX_VUS: vus,
        PAYLOAD_BYTES: "1024",
      },
      join(dir, `summary-${script}-${rate}-${vus}.json`),
    );
    return { ...run, redisCpuMs: (await redisCpuMs(redis.url)) - before, events: sink.publishes() };
  } finally {
    await Promise.all([redis.stop(), sink.stop()]);
  }
}

async function main(): Promise<void> {
  const k6 = k6UnderTest();
  const dir = mkdtempSync(join(tmpdir(), "olt-bench-generator-"));
  try {
    await buildBundles(k6.flavour, dir);
    console.log(
      `$ BENCH_RATES=${rates.join(",")} BENCH_DURATION=${duration} BENCH_RSS_VUS=${vuCounts.join(",")} npm run bench:generator`,
    );
    console.log(
      `${k6.text}, K6_REDIS=${k6.flavour}, node ${process.version}; CPU per event = (k6 + run-state Redis) / events published`,
    );
    console.log(
      "script               rate  events  dropped  k6 µs/ev  redis µs/ev  total µs/ev  vs bare  k6 peak RSS MiB  exit",
    );
    const total = (m: Measured) => ((m.k6CpuMs + m.redisCpuMs) * 1000) / Math.max(1, m.events);
    const ratios: string[] = [];
    for (const rate of rates) {
      const rows = {
        bare: await measure("bare", rate, dir, duration),
        throughput: await measure("throughput", rate, dir, duration),
      };
      for (const [name, m] of Object.entries(rows)) {
        console.log(
          [
            (name === "bare" ? "bare k6 publish" : "dist/throughput.js").padEnd(18),
            String(rate).padStart(6),
            String(m.events).padStart(7),
            String(m.dropped).padStart(8),
            ((m.k6CpuMs * 1000) / Math.max(1, m.events)).toFixed(0).padStart(9),
            ((m.redisCpuMs * 1000) / Math.max(1, m.events)).toFixed(0).padStart(12),
            total(m).toFixed(0).padStart(12),
            `${(total(m) / total(rows.bare)).toFixed(2)}x`.padStart(8),
            m.peakRssMiB.toFixed(0).padStart(16),
            String(m.exitCode).padStart(5),
          ].join(" "),
        );
      }
      ratios.push(`${(total(rows.throughput) / total(rows.bare)).toFixed(2)}x at ${rate} ev/s`);
    }
    console.log(`dist/throughput.js / bare k6 publish, CPU per event, this run: ${ratios.join(", ")}`);

    console.log(`\nk6 peak RSS (MiB) at ${VU_RUN.rate} ev/s for ${VU_RUN.duration}, VUs pre-allocated:`);
    console.log(`script             ${vuCounts.map((n) => `${n} VUs`.padStart(9)).join("")}   MiB per VU`);
    for (const script of ["bare", "throughput"] as const) {
      const rss: number[] = [];
      for (const n of vuCounts)
        rss.push((await measure(script, VU_RUN.rate, dir, VU_RUN.duration, String(n))).peakRssMiB);
      const perVu = (rss[rss.length - 1] - rss[0]) / (vuCounts[vuCounts.length - 1] - vuCounts[0]);
      console.log(
        `${(script === "bare" ? "bare k6 publish" : "dist/throughput.js").padEnd(18)} ${rss.map((r) => r.toFixed(0).padStart(9)).join("")}   ${perVu.toFixed(2).padStart(10)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
