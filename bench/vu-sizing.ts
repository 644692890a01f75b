// The default VU sizing (PRE_ALLOCATED_VUS, MAX_VUS) on the pinned real k6 with dist/throughput.js
// against the Outpost fake (test/support/outpost-fake), whose publish answers take
// BENCH_PUBLISH_DELAYS ms: the load case of issue 9 (500 ev/s for 20 s, 0 dropped iterations
// with the defaults), and k6's memory per VU with this bundle (peak RSS at several VU counts).
//   npm run bench:vu-sizing     BENCH_RATE=500 BENCH_DURATION=20s BENCH_PUBLISH_DELAYS=0,50,200,400 [BENCH_VUS=50,250]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readThroughputSettings } from "../src/config/throughput-settings";
import { buildBundles } from "../test/support/bundle-build";
import { k6UnderTest } from "../test/support/k6";
import { type OutpostFake, startOutpostFake } from "../test/support/outpost-fake";
import { startRedis } from "../test/support/redis-server";

const rate = Number(process.env.BENCH_RATE ?? 500);
const duration = process.env.BENCH_DURATION ?? "20s";
const delays = (process.env.BENCH_PUBLISH_DELAYS ?? "0,50,200,400").split(",").map(Number);
const memoryVus = [10, 200, 600];
// BENCH_VUS=<pre>,<max> compares other sizes with the defaults' row.
const vuOverride: Record<string, string> = process.env.BENCH_VUS
  ? { PRE_ALLOCATED_VUS: process.env.BENCH_VUS.split(",")[0], MAX_VUS: process.env.BENCH_VUS.split(",")[1] }
  : {};

interface Run {
  exitCode: number;
  peakRssMiB: number;
  dropped: number;
  vusMax: number;
  publishP99Ms: number;
  lagP99Ms: number;
  iterations: number;
}

type Summary = { metrics: Record<string, Record<string, number>> };

// k6 under /usr/bin/time: %M is the peak resident set in KiB.
function runK6(script: string, env: Record<string, string>, summaryFile: string): Promise<Run> {
  const child = spawn(
    "/usr/bin/time",
    ["-f", "%M", k6UnderTest().path, "run", "--quiet", `--summary-export=${summaryFile}`, script],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", K6_NO_USAGE_REPORT: "true", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const lines = err.trim().split("\n");
      const m = (JSON.parse(readFileSync(summaryFile, "utf8")) as Summary).metrics;
      resolve({
        exitCode: code ?? -1,
        peakRssMiB: Number(lines[lines.length - 1]) / 1024,
        dropped: m.dropped_iterations?.count ?? 0,
        vusMax: m.vus_max?.value ?? 0,
        publishP99Ms: m.publish_latency?.["p(99)"] ?? Number.NaN,
        lagP99Ms: m.publish_generator_lag?.["p(99)"] ?? Number.NaN,
        iterations: m.iterations?.count ?? 0,
      });
    });
  });
}

async function main(): Promise<void> {
  const k6 = k6UnderTest();
  const dir = mkdtempSync(join(tmpdir(), "olt-bench-vus-"));
  // Deliveries are not measured here: the destination answers 200 at once.
  const sink = createServer((_req, res) => res.writeHead(200).end());
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  let outpost: OutpostFake | undefined;
  try {
    await buildBundles(k6.flavour, dir);
    outpost = await startOutpostFake({ apiKey: "bench-key", deliveryMaxConcurrency: 100 });
    const fake = outpost;
    let n = 0;
    const run = async (env: Record<string, string>): Promise<Run> => {
      const redis = await startRedis();
      try {
        const id = `vus-${++n}`;
        return await runK6(
          join(dir, "throughput.js"),
          {
            OUTPOST_URL: fake.url,
            OUTPOST_API_KEY: "bench-key",
            MOCK_URL: sinkUrl,
            REDIS_URL: redis.url,
            TEST_ID: id,
            THRESHOLD_PUBLISH_P95_MS: "0",
            ...env,
          },
          join(dir, `summary-${id}.json`),
        );
      } finally {
        await redis.stop();
      }
    };
    const defaults = readThroughputSettings({ RATE: String(rate), DURATION: duration }).profiles[0].load;
    console.log(
      `$ BENCH_RATE=${rate} BENCH_DURATION=${duration} BENCH_PUBLISH_DELAYS=${delays.join(",")} npm run bench:vu-sizing`,
    );
    console.log(`${k6.text}, K6_REDIS=${k6.flavour}, node ${process.version}`);
    console.log(
      `Load case: ${rate} ev/s for ${duration}, ${vuOverride.MAX_VUS ? `PRE_ALLOCATED_VUS=${vuOverride.PRE_ALLOCATED_VUS} MAX_VUS=${vuOverride.MAX_VUS}` : `default PRE_ALLOCATED_VUS=${defaults.preAllocatedVUs} MAX_VUS=${defaults.maxVUs}`}`,
    );
    console.log(
      "publish delay ms  iterations  dropped  vus_max  publish p99 ms  generator lag p99 ms  peak RSS MiB  exit",
    );
    for (const delay of delays) {
      fake.publishDelayMs = delay;
      const r = await run({ RATE: String(rate), DURATION: duration, ...vuOverride });
      console.log(
        [
          String(delay).padStart(16),
          String(r.iterations).padStart(11),
          String(r.dropped).padStart(8),
          String(r.vusMax).padStart(8),
          r.publishP99Ms.toFixed(1).padStart(15),
          r.lagP99Ms.toFixed(1).padStart(21),
          r.peakRssMiB.toFixed(0).padStart(13),
          String(r.exitCode).padStart(5),
        ].join(" "),
      );
    }
    fake.publishDelayMs = 0;
    console.log("Memory: k6 peak RSS with N pre-allocated VUs (5 ev/s for 2 s)");
    const rss: Array<[number, number]> = [];
    for (const vus of memoryVus) {
      const r = await run({ RATE: "5", DURATION: "2s", PRE_ALLOCATED_VUS: String(vus), MAX_VUS: String(vus) });
      rss.push([vus, r.peakRssMiB]);
      console.log(`  ${String(vus).padStart(4)} VUs: ${r.peakRssMiB.toFixed(0)} MiB`);
    }
    const [[v0, m0], , [v1, m1]] = rss;
    console.log(`  ≈ ${((m1 - m0) / (v1 - v0)).toFixed(2)} MiB per VU`);
  } finally {
    await outpost?.stop();
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
