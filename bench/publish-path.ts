// What the throughput scenario adds per event on top of Outpost's publish:
// building the payload, and recording the accepted publish in Redis (one Lua
// script, PUBLISH_ACCEPTED) with `concurrency` calls in flight on one connection.
//   npx ts-node --transpile-only bench/publish-path.ts [events] [tenants] [destinationsPerTenant] [payloadBytes] [concurrency]
import { createPayloadFactory } from "../src/publish/payload";
import { mapLimit } from "../src/publish/map-limit";
import { withThrowawayRun } from "../test/support/redis-server";
import { testRunRecord } from "../test/support/run-record";

async function main(): Promise<void> {
  const [events, tenants, perTenant, payloadBytes, concurrency] = process.argv.slice(2).map(Number);
  const n = events || 200_000;
  const rec = testRunRecord("bench", tenants || 10, perTenant || 2);
  const bytes = payloadBytes || 1024;
  const inFlight = concurrency || 64;

  const make = createPayloadFactory(bytes, new Date().toISOString());
  let length = 0;
  const p0 = performance.now();
  for (let seq = 0; seq < n; seq++) length += make(seq).length;
  const p1 = performance.now();

  await withThrowawayRun(rec, async (store) => {
    const seqs = Array.from({ length: n }, (_, i) => i);
    const r0 = performance.now();
    await mapLimit(seqs, inFlight, (seq) =>
      store.recordPublishAccepted(rec, rec.profiles[0], { seq, t0Ms: rec.startedAtMs + 1, t2Ms: rec.startedAtMs + 3 }),
    );
    const r1 = performance.now();
    const accepted = (await store.publishCounters(rec.profiles)).accepted;
    console.log(
      `command: npx ts-node --transpile-only bench/publish-path.ts ${n} ${rec.profiles[0].tenants} ${rec.profiles[0].destinationsPerTenant} ${bytes} ${inFlight}`,
    );
    console.log(
      `payload: ${n} x ${bytes} bytes (${length} total) in ${(p1 - p0).toFixed(0)} ms = ${(((p1 - p0) * 1e6) / n).toFixed(0)} ns per event`,
    );
    console.log(
      `recordPublishAccepted: ${accepted} events in ${(r1 - r0).toFixed(0)} ms = ${Math.round((n * 1000) / (r1 - r0))} events/s (one redis-server, ${inFlight} in flight)`,
    );
  });
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
