import { destinationIndexes, tenantOfSeq } from "../../src/runstate/identity";
import type { RunRecord } from "../../src/runstate/record";
import type { RunStateStore } from "../../src/runstate/store";
import { publishAndDeliver } from "./scripted-run";

// A run worth drawing, written through the real scripts: 600 events 50 ms apart
// (30 s), latencies that climb over the run and vary per event, one event that
// meets an injected 500 before it is delivered, and seq 7 never reaching d1.
export async function reportRun(store: RunStateStore, rec: RunRecord, events = 600): Promise<void> {
  await store.createRunRecord(rec);
  const first = destinationIndexes(rec.profiles[0], tenantOfSeq(rec.profiles[0], 11))[0];
  await store.recordFault(rec, first, 11, "error:500", "ok");
  await publishAndDeliver(store, rec, events, {
    spacingMs: 50,
    skip: (seq, d) => seq === 7 && d === 1,
    timing: (seq, d) => {
      const climb = 1 + (3 * seq) / events;
      const jitter = ((seq * 7919 + d * 104729) % 97) / 97;
      return {
        publishMs: Math.round(climb * (3 + 12 * jitter * jitter)),
        queueMs: Math.round(climb * (5 + 40 * jitter)),
        deliveryMs: Math.round(2 + 8 * jitter),
      };
    },
  });
}
