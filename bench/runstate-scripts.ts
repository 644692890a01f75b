// Redis time per event of the run-state scripts, from INFO commandstats: the
// figure that decides how many events/s one Redis can record.
//   npm run bench:scripts -- [events] [tenants] [destinationsPerTenant]
import { eventId } from "../src/runstate/identity";
import { withThrowawayRun } from "../test/support/redis-server";
import { testRunRecord } from "../test/support/run-record";
import type { NodeRedisPort } from "../adapters/node/redis";
import { mapLimit } from "../src/publish/map-limit";
import type { PublishRecord } from "../src/runstate/store";

// Publish outcomes per call in the batched half: a VU at 50 events/s keeping a second's worth.
const BATCH = 50;

async function evalshaUsec(redis: NodeRedisPort): Promise<number> {
  const info = String(await redis.command(["INFO", "commandstats"]));
  return Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const [events, tenants, perTenant] = process.argv.slice(2).map(Number);
  const n = events || 40_000;
  // With a latency window plan (10 s windows), as throughput writes it.
  const rec = testRunRecord("bench-scripts", tenants || 4, perTenant || 2);
  await withThrowawayRun(rec, async (store, redis) => {
    const seqs = Array.from({ length: n }, (_, i) => i);
    // Event starts spread over a minute, as a run's would be (several latency windows).
    const t0 = (seq: number): number => rec.startedAtMs + Math.floor((seq * 60_000) / n);
    // Every event accepted, then delivered once to its tenant's first
    // destination with all three latency samples; then 10% duplicates.
    // The first half one event per call, the rest in batches of BATCH, as a k6 VU writes them.
    const accepted = (seq: number): PublishRecord => ({
      kind: "accepted",
      seq,
      t0Ms: t0(seq),
      startedMs: t0(seq),
      t2Ms: t0(seq) + 5 + (seq % 20),
    });
    const half = Math.floor(n / 2);
    const u0 = await evalshaUsec(redis);
    await mapLimit(seqs.slice(0, half), 200, (seq) => store.recordPublishes(rec, rec.profiles[0], [accepted(seq)]));
    const uHalf = await evalshaUsec(redis);
    const batches: number[][] = [];
    for (let i = half; i < n; i += BATCH) batches.push(seqs.slice(i, i + BATCH));
    await mapLimit(batches, 20, (b) => store.recordPublishes(rec, rec.profiles[0], b.map(accepted)));
    const u1 = await evalshaUsec(redis);
    const first = (seq: number): number => (seq % rec.profiles[0].tenants) * rec.profiles[0].destinationsPerTenant;
    await mapLimit(seqs, 200, (seq) =>
      store.recordReceipt(rec, {
        destination: first(seq),
        seq,
        t0Ms: t0(seq),
        taMs: t0(seq) + 8 + (seq % 50),
        t3Ms: t0(seq) + 10 + (seq % 70),
        signature: "ok",
      }),
    );
    const u2 = await evalshaUsec(redis);
    const dups = seqs.filter((s) => s % 10 === 0);
    await mapLimit(dups, 200, (seq) =>
      store.recordReceipt(rec, { destination: first(seq), seq, t3Ms: t0(seq) + 90, signature: "ok" }),
    );
    const u3 = await evalshaUsec(redis);
    console.log(`$ npm run bench:scripts -- ${n} ${rec.profiles[0].tenants} ${rec.profiles[0].destinationsPerTenant}`);
    console.log(
      `redis-server ${String(await redis.command(["INFO", "server"])).match(/redis_version:(\S+)/)?.[1]}, ${n} events (e.g. ${eventId(rec.testId, rec.profiles[0], n - 1)}), Redis time per call:`,
    );
    console.log(`  PUBLISHES, 1 event        ${((uHalf - u0) / half).toFixed(1)} µs`);
    console.log(`  PUBLISHES, ${BATCH} per call    ${((u1 - uHalf) / (n - half)).toFixed(1)} µs per event`);
    console.log(`  RECEIPT (first delivery)  ${((u2 - u1) / n).toFixed(1)} µs`);
    console.log(`  RECEIPT (duplicate)       ${((u3 - u2) / dups.length).toFixed(1)} µs`);
    console.log(
      `  => one Redis core records about ${Math.floor(1e6 / ((u1 - uHalf) / (n - half) + (u2 - u1) / n))} events/s delivered to one destination each (publishes in batches of ${BATCH})`,
    );
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
