// Outpost's time per delivery attempt besides the receiver's answer: the concurrency
// budget's BUDGET_DELIVERY_OVERHEAD. A delivery worker slot is held from taking a
// message to acknowledging it, so with the slots full every first delivery waits for
// one before it: the gap between deliveries is one slot's time, receiver hold +
// overhead. The bench publishes a burst faster than the slots drain (pinned real k6,
// dist/throughput.js), the real mock holds each answer BENCH_HOLDS, and the drain
// rate of first deliveries (verify's timeline, whole seconds while saturated) gives
// slot = BENCH_DELIVERY_CONCURRENCY / rate.
//   OUTPOST_URL=http://127.0.0.1:3333 OUTPOST_API_KEY=... npm run bench:delivery-overhead
//     [BENCH_DELIVERY_CONCURRENCY=1 BENCH_EVENTS=1500 BENCH_RATE=500 BENCH_HOLDS=0ms,20ms]
// The Outpost under test must run with DELIVERY_MAX_CONCURRENCY=BENCH_DELIVERY_CONCURRENCY
// (one replica). Without OUTPOST_URL the Outpost fake stands in (a check of the bench,
// not a figure for Outpost).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeRedisPort } from "../adapters/node/redis";
import { formatDuration, parseDurationMs } from "../src/config/env";
import { readVerifySettings } from "../src/config/verify-settings";
import { RunStateStore } from "../src/runstate/store";
import { type MockProcess, startMock } from "../test/mock-webhook/fixtures";
import { buildBundles } from "../test/support/bundle-build";
import { k6UnderTest, runK6 } from "../test/support/k6";
import { type OutpostFake, startOutpostFake } from "../test/support/outpost-fake";
import { startRedis } from "../test/support/redis-server";
import { verifiedReport } from "../test/support/verify-result";

const concurrency = Number(process.env.BENCH_DELIVERY_CONCURRENCY ?? 1);
const events = Number(process.env.BENCH_EVENTS ?? 1500);
const rate = Number(process.env.BENCH_RATE ?? 500);
const holds = (process.env.BENCH_HOLDS ?? "0ms,20ms").split(",").map((h) => parseDurationMs(h) ?? Number.NaN);

// First deliveries per second over the whole seconds strictly inside the delivery
// span (the first and last are partial): the drain rate while every slot is busy.
function drainRate(timeline: Array<{ second: number; delivered: number }>): { perSecond: number; seconds: number } {
  const busy = timeline.filter((p) => p.delivered > 0);
  const inner = busy.slice(1, -1);
  const delivered = inner.reduce((s, p) => s + p.delivered, 0);
  return { perSecond: inner.length === 0 ? Number.NaN : delivered / inner.length, seconds: inner.length };
}

async function main(): Promise<void> {
  const k6 = k6UnderTest();
  const dir = mkdtempSync(join(tmpdir(), "olt-bench-overhead-"));
  const redisServer = await startRedis();
  const redis = await NodeRedisPort.connect(redisServer.url);
  let fake: OutpostFake | undefined;
  let mock: MockProcess | undefined;
  try {
    await buildBundles(k6.flavour, dir);
    mock = await startMock({ REDIS_URL: redisServer.url });
    if (!process.env.OUTPOST_URL)
      fake = await startOutpostFake({ includeMillisecondTimestamp: true, deliveryMaxConcurrency: concurrency });
    const outpostUrl = fake?.url ?? process.env.OUTPOST_URL ?? "";
    const target = fake ? "the Outpost fake (a check of the bench only)" : `the Outpost at ${outpostUrl}`;
    console.log(
      `$ BENCH_DELIVERY_CONCURRENCY=${concurrency} BENCH_EVENTS=${events} BENCH_RATE=${rate} BENCH_HOLDS=${holds.map(formatDuration).join(",")} npm run bench:delivery-overhead`,
    );
    console.log(`${k6.text}; ${target} with DELIVERY_MAX_CONCURRENCY=${concurrency}; node ${process.version}`);
    console.log(
      "receiver hold ms  first deliveries  saturated s  deliveries/s  slot ms  overhead ms  delivery p50 ms  queue p99 ms",
    );
    const runId = Date.now().toString(36);
    for (const [i, hold] of holds.entries()) {
      const testId = `overhead-${runId}-${i}`;
      const latency = hold === 0 ? "none" : `fixed:${formatDuration(hold)}`;
      await fetch(`${mock.url}/control/faults`, { method: "PUT", body: JSON.stringify({ latency }) });
      const r = await runK6(join(dir, "throughput.js"), {
        cwd: dir,
        env: {
          OUTPOST_URL: outpostUrl,
          OUTPOST_API_KEY: process.env.OUTPOST_API_KEY ?? "",
          MOCK_URL: mock.url,
          REDIS_URL: redisServer.url,
          TEST_ID: testId,
          RATE: String(rate),
          DURATION: formatDuration(Math.round((events / rate) * 1000)),
          // A burst beyond what k6 keeps up with still saturates the slots.
          THRESHOLD_PUBLISH_P95_MS: "0",
          THRESHOLD_MAX_DROPPED: "-1",
        },
      });
      if (r.code !== 0) throw new Error(`throughput exited ${r.code}: ${r.stderr.slice(-2000)}`);
      const report = await verifiedReport(
        new RunStateStore(redis, testId),
        readVerifySettings({ TEST_ID: testId, REDIS_URL: redisServer.url, VERIFY_GRACE: "10s", VERIFY_TIMEOUT: "5m" }),
        { now: () => Date.now() },
        (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      );
      if (report.ledger.voidReasons.length > 0 || report.ledger.deliveredRatio !== 1)
        throw new Error(`verify: not every accepted event was delivered: ${report.verdict.reasons.join("; ")}`);
      const drain = drainRate(report.timeline);
      const slotMs = (concurrency * 1000) / drain.perSecond;
      console.log(
        [
          String(hold).padStart(16),
          String(report.ledger.totals.delivered).padStart(17),
          String(drain.seconds).padStart(12),
          drain.perSecond.toFixed(1).padStart(13),
          slotMs.toFixed(2).padStart(8),
          (slotMs - hold).toFixed(2).padStart(12),
          (report.latency.stages.delivery.p50Ms ?? Number.NaN).toFixed(2).padStart(16),
          (report.latency.stages.queue.p99Ms ?? Number.NaN).toFixed(0).padStart(13),
        ].join(" "),
      );
    }
  } finally {
    await fake?.stop();
    await mock?.stop();
    await redis.close();
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
