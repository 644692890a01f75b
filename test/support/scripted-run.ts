import { destinationIndexes, tenantOfDestination, tenantOfSeq } from "../../src/runstate/identity";
import type { RunProfile, RunRecord } from "../../src/runstate/record";
import { type DestinationSnapshot, profileAt, type RunStateStore } from "../../src/runstate/store";

// Stage latencies (ms) of one event at one destination.
export interface Timing {
  publishMs: number;
  queueMs: number;
  deliveryMs: number;
}

export type StageSamples = Record<"publish" | "queue" | "delivery" | "e2e", number[]>;

export interface ScriptOptions {
  // Deliveries to leave out (lost).
  skip?: (seq: number, destination: number) => boolean;
  // Called with destination -1 for the publish stage.
  timing?: (seq: number, destination: number) => Timing;
  // Leave the run without a recorded end, as while throughput is still publishing.
  open?: boolean;
  // Time between two events' t0 (10 ms).
  spacingMs?: number;
  // The profile whose events these are (default: the run's first).
  profile?: RunProfile;
  // The latency the mock held each first delivery (ms; default none).
  receiverHoldMs?: number;
}

// Publishes seqs [0, n), t0 spacingMs (10 ms) apart, through the real scripts as throughput
// and the mock would, delivering each to every destination of its tenant unless
// skipped, then records the run's end as throughput's teardown would (unless
// open). Returns the samples (ms) the scripts should have recorded: events
// after the warm-up, first deliveries only.
export async function publishAndDeliver(
  store: RunStateStore,
  rec: RunRecord,
  n: number,
  opts: ScriptOptions = {},
): Promise<StageSamples> {
  const skip = opts.skip ?? (() => false);
  const timing = opts.timing ?? (() => ({ publishMs: 4, queueMs: 2, deliveryMs: 3 }));
  const samples: StageSamples = { publish: [], queue: [], delivery: [], e2e: [] };
  for (let seq = 0; seq < n; seq++) {
    const t0 = rec.startedAtMs + seq * (opts.spacingMs ?? 10);
    const t2 = t0 + timing(seq, -1).publishMs;
    const profile = opts.profile ?? rec.profiles[0];
    await store.recordPublishAccepted(rec, profile, { seq, t0Ms: t0, t2Ms: t2 });
    const measured = t0 >= rec.warmupEndsAtMs;
    if (measured) samples.publish.push(t2 - t0);
    for (const d of destinationIndexes(profile, tenantOfSeq(profile, seq))) {
      if (skip(seq, d)) continue;
      const { queueMs, deliveryMs } = timing(seq, d);
      const ta = t2 + queueMs;
      const t3 = ta + deliveryMs;
      await store.recordReceipt(rec, {
        destination: d,
        seq,
        t0Ms: t0,
        taMs: ta,
        t3Ms: t3,
        signature: "ok",
        receiverHoldMs: opts.receiverHoldMs,
      });
      if (measured) {
        samples.queue.push(queueMs);
        samples.delivery.push(deliveryMs);
        samples.e2e.push(t3 - t0);
      }
    }
  }
  if (!opts.open) await store.markRunEnded(rec.startedAtMs + n * (opts.spacingMs ?? 10));
  return samples;
}

// One destination of a full snapshot, for tests that look at one at a time.
export async function destinationSnapshot(
  store: RunStateStore,
  rec: RunRecord,
  destination: number,
  listCap = 10,
  maxAttempts = 11,
): Promise<DestinationSnapshot & { accepted: number }> {
  const snap = await store.snapshot(rec, listCap, () => maxAttempts);
  const d = snap.destinations.find((s) => s.destination === destination);
  if (d === undefined) throw new Error(`snapshot has no destination ${destination}`);
  return { ...d, accepted: snap.tenants[tenantOfDestination(profileAt(rec, destination), destination)].accepted };
}
