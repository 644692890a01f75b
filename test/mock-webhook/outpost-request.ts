import { signBody } from "../../mock-webhook/signature";
import { destinationPath, eventId, T0_HEADER } from "../../src/runstate/identity";

// A delivery shaped like the one Outpost v1.2.0 sends (outpost-facts §3), for
// the mock's tests and its benchmark.
export interface OutpostDelivery {
  path: string;
  headers: Record<string, string>;
  body: string;
}

// Go's time.RFC3339Nano in UTC, down to the nanosecond digits we have.
export function rfc3339Nano(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - second * 1000) * 1e6);
  return `${new Date(second * 1000).toISOString().slice(0, 19)}.${String(nanos).padStart(9, "0")}Z`;
}

// About 2 KiB of JSON, like a modest real event.
export function eventBody(seq: number, bytes = 2048): string {
  const head = JSON.stringify({ seq, type: "loadtest.event", padding: "" });
  return head.replace('"padding":""', `"padding":"${"x".repeat(Math.max(0, bytes - head.length))}"`);
}

export function outpostDelivery(o: {
  testId: string;
  seq: number;
  destination: number;
  // Signing secrets, current first; none sends no signature header.
  secrets: string[];
  t0Ms?: number;
  taMs?: number;
  body?: string;
  // The event's traffic profile ("" or absent: the unnamed one).
  profile?: string;
}): OutpostDelivery {
  const body = o.body ?? eventBody(o.seq);
  const ta = o.taMs ?? Date.now();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Outpost/v1.2.0",
    "x-outpost-event-id": eventId(o.testId, { name: o.profile ?? "" }, o.seq),
    "x-outpost-topic": "loadtest.event",
    "x-outpost-timestamp": new Date(Math.floor(ta / 1000) * 1000).toISOString().replace(".000", ""),
    "x-outpost-timestamp-ms": rfc3339Nano(ta),
  };
  if (o.secrets.length > 0) headers["x-outpost-signature"] = `v0=${o.secrets.map((s) => signBody(body, s)).join(",")}`;
  if (o.t0Ms !== undefined) headers[T0_HEADER] = String(o.t0Ms);
  return { path: destinationPath(o.testId, o.destination), headers, body };
}
