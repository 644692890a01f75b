// How long verify's server-side work takes on a large run: one progress poll
// and the full snapshot (BITOP/BITCOUNT/BITPOS in one Lua script) over every
// destination, during which Redis serves nothing else.
// Bitmaps are written whole with SETRANGE (not event by event) to build a big
// run quickly; one delivery in 8,000 is left missing.
//   npx ts-node --transpile-only bench/verify-ledger.ts [events] [tenants] [destinationsPerTenant]
import { buildLedger } from "../src/verify/ledger";
import { withThrowawayRun } from "../test/support/redis-server";
import { testRunRecord } from "../test/support/run-record";

async function main(): Promise<void> {
  const [events, tenants, perTenant] = process.argv.slice(2).map(Number);
  const n = events || 10_000_000;
  const rec = testRunRecord("bench", tenants || 10, perTenant || 4);
  await withThrowawayRun(rec, async (store, redis) => {
    const bytes = Math.ceil(n / rec.profiles[0].tenants / 8);
    const full = "\xff".repeat(bytes);
    for (let t = 0; t < rec.profiles[0].tenants; t++)
      await redis.client.sendCommand(["SETRANGE", store.keys.accepted(t), "0", Buffer.from(full, "latin1")]);
    for (const d of rec.destinations) {
      await redis.client.sendCommand(["SETRANGE", store.keys.receipts(d.index), "0", Buffer.from(full, "latin1")]);
      for (let i = 0; i < bytes; i += 1000)
        await redis.command(["SETBIT", store.keys.receipts(d.index), i * 8 + (d.index % 8), 0]);
    }
    const t0 = performance.now();
    const p = await store.progress(rec);
    const t1 = performance.now();
    const ledger = buildLedger(rec, await store.snapshot(rec, 20, () => 11), {
      listCap: 20,
      maxAttempts: 11,
      phase: "ended",
    });
    const t2 = performance.now();
    console.log(
      `command: npx ts-node --transpile-only bench/verify-ledger.ts ${n} ${rec.profiles[0].tenants} ${rec.profiles[0].destinationsPerTenant}`,
    );
    console.log(
      `${n} events, ${rec.destinations.length} destinations, ${ledger.totals.accepted} expected deliveries (${p.expected} by progress), ${ledger.totals.missing} missing`,
    );
    console.log(
      `progress poll: ${(t1 - t0).toFixed(1)} ms; full snapshot (Redis blocked): ${(t2 - t1).toFixed(1)} ms (${((t2 - t1) / rec.destinations.length).toFixed(1)} ms per destination)`,
    );
  });
}

void main();
