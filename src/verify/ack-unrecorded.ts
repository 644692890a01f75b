import type { VerifyReport } from "./report";
import type { RunPhase } from "./run-status";

// Deliveries whose publish ack a k6 VU still kept (src/publish/publish-log.ts)
// when verify read the run: outside the ledger's accepted (it counts recorded
// acks only), so every report shows them on their own, never as unknown
// receipts, with why they are there.
const WHY: Record<Exclude<RunPhase, "ended">, string> = {
  in_progress:
    "the run is in progress: each k6 VU keeps its publish acks and writes them about once a second, so deliveries can reach the mock first",
  cut_short:
    "throughput stopped (Ctrl-C, abort) before its VUs wrote these acks: Outpost accepted the events, the ledger cannot count them",
  no_end:
    "throughput never recorded its end (killed or crashed) before its VUs wrote these acks: Outpost accepted the events, the ledger cannot count them",
};

// "delivered, publish ack not recorded: N (why)", or null when there are none.
export function ackUnrecordedLine(r: VerifyReport): string | null {
  const n = r.ledger.totals.deliveredPublishUnrecorded;
  if (n === 0 || r.ledger.phase === "ended") return null;
  return `delivered, publish ack not recorded: ${n} (${WHY[r.ledger.phase]})`;
}
