import type { IncomingMessage, ServerResponse } from "node:http";
import { Faults } from "../src/receiver/faults";
import {
  parseDestinationPath,
  parseEventId,
  profileOfDestination,
  T0_HEADER,
  tenantOfDestination,
  tenantOfSeq,
} from "../src/runstate/identity";
import { profileNamed } from "../src/runstate/record";
import type { SignatureStatus } from "../src/runstate/store";
import type { Holds } from "./holds";
import type { MockMetrics } from "./metrics";
import type { Receivers } from "./receivers";
import type { RecentAttempts } from "./recent";
import type { ReceiptWriter } from "./receipt-writer";
import { readBody, sendError, sendJson } from "./respond";
import type { CachedRun, KnownRun, RunCache } from "./runs";
import { checkSignature } from "./signature";
import { parseEpochMs, parseRfc3339Ms } from "./timestamps";

export interface DeliveryDeps {
  runs: RunCache;
  receipts: ReceiptWriter;
  // The mock's own faults: for runs and profiles without receiver behaviour of their own.
  faults: Faults;
  // Each run's profiles' receiver behaviour.
  receivers: Receivers;
  metrics: MockMetrics;
  recent: RecentAttempts;
  holds: Holds;
  maxBodyBytes: number;
  requireSignature: boolean;
}

type Anomaly = "no_run_record" | "bad_event_id" | "destination_out_of_range" | "wrong_tenant";
type Placement = { run: KnownRun; seq: number } | { anomaly: Anomaly };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function place(run: CachedRun, testId: string, destination: number, eventIdText: string): Placement {
  if (run.record === null) return { anomaly: "no_run_record" };
  const id = parseEventId(eventIdText);
  const profile = id === null ? null : profileNamed(run.record, id.profile);
  if (id === null || id.testId !== testId || profile === null) return { anomaly: "bad_event_id" };
  const owner = profileOfDestination(run.record.profiles, destination);
  if (owner === null) return { anomaly: "destination_out_of_range" };
  // Another profile's destination, or another tenant's of the same profile.
  if (owner.index !== profile.index || tenantOfSeq(profile, id.seq) !== tenantOfDestination(profile, destination))
    return { anomaly: "wrong_tenant" };
  return { run, seq: id.seq };
}

// POST /webhook/:testId/:destination. Every answer that tells Outpost "done"
// (2xx) is sent only after Redis holds the receipt; a Redis failure rejects
// and the caller answers 503 so Outpost retries.
export async function handleDelivery(
  deps: DeliveryDeps,
  req: IncomingMessage,
  res: ServerResponse,
  t3Ms: number,
): Promise<void> {
  const target = parseDestinationPath(req.url ?? "");
  if (target === null) return sendError(res, 404, "expected POST /webhook/<TEST_ID>/<destination index>");
  const eventIdText = header(req, "x-outpost-event-id");
  if (!eventIdText) return sendError(res, 400, "missing x-outpost-event-id header");
  const declared = Number(header(req, "content-length") ?? 0);
  const body = declared > deps.maxBodyBytes ? null : await readBody(req, deps.maxBodyBytes);
  if (body === null) {
    res.setHeader("connection", "close");
    return sendError(res, 413, `body larger than MOCK_MAX_BODY (${deps.maxBodyBytes} bytes)`);
  }

  const { testId, destination } = target;
  const m = deps.metrics;
  const seen = {
    testId,
    destination,
    t3Ms,
    taMs: parseRfc3339Ms(header(req, "x-outpost-timestamp-ms")),
    t0Ms: parseEpochMs(header(req, T0_HEADER)),
  };
  const remember = (outcome: string, status: number, signature?: SignatureStatus): void =>
    deps.recent.add(eventIdText, { ...seen, outcome, status, signature });

  // A delivery the run state cannot place is counted against the run named in
  // the path and answered 200: retrying it would not make it placeable.
  const cached = deps.runs.peek(testId) ?? (await deps.runs.get(testId));
  const placed = place(cached, testId, destination, eventIdText);
  if ("anomaly" in placed) {
    await cached.store.recordAnomaly(`unknown:${placed.anomaly}`);
    m.anomalies.inc({ reason: placed.anomaly });
    remember(placed.anomaly, 200);
    await deps.holds.wait(deps.faults.latencyMs(), res);
    return sendJson(res, 200, { received: false, anomaly: placed.anomaly });
  }

  const { run, seq } = placed;
  const { record, store } = run;
  const found = deps.receivers.forDestination(run, destination, deps.faults);
  const faults = found instanceof Faults ? found : await found;
  // undefined without a latency to add: the caller need not wait a turn of the microtask queue.
  const addedLatency = (): Promise<void> | undefined => {
    const ms = faults.latencyMs();
    return ms > 0 ? deps.holds.wait(ms, res) : undefined;
  };
  const signature = checkSignature(body, header(req, "x-outpost-signature"), run.secrets.get(destination));
  m.signature(signature);
  const rejectSignature = deps.requireSignature && (signature === "bad" || signature === "missing");
  const fault = rejectSignature ? { kind: "signature" as const } : faults.decide();

  if (fault.kind === "none") {
    // Drawn before the receipt is written so the receipt records the hold it gets.
    const holdMs = faults.latencyMs();
    const first = await deps.receipts.write(run, {
      destination,
      seq,
      t3Ms,
      taMs: seen.taMs,
      t0Ms: seen.t0Ms,
      signature,
      receiverHoldMs: holdMs,
    });
    const outcome = first ? "first" : "duplicate";
    m.receipt(outcome);
    remember(outcome, 200, signature);
    if (holdMs > 0) await deps.holds.wait(holdMs, res);
    return sendJson(res, 200, { received: true, duplicate: !first });
  }

  // Recorded before answering, so verify can tell a retried fault from a loss.
  const kind = fault.kind === "error" ? `error:${fault.status}` : fault.kind;
  await store.recordFault(record, destination, seq, kind, signature);
  m.faults.inc({ kind: fault.kind });
  switch (fault.kind) {
    case "reset":
      remember(kind, 0, signature);
      req.socket.resetAndDestroy();
      return;
    case "timeout":
      remember(kind, 504, signature);
      await deps.holds.wait(fault.holdMs, res);
      return sendError(res, 504, "injected timeout");
    case "signature":
      remember(kind, 401, signature);
      await addedLatency();
      return sendError(res, 401, `signature ${signature}`);
    case "error":
      remember(kind, fault.status, signature);
      await addedLatency();
      return sendError(res, fault.status, "injected error");
  }
}
