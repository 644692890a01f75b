import type { VerifySettings } from "../config/verify-settings";
import type { Clock } from "../ports";
import type { RunStateStore } from "../runstate/store";
import { readStageLatencies } from "./latency";
import { readLatencyOverTime } from "./latency-over-time";
import { buildLedger } from "./ledger";
import { publishCounters } from "./publish-counters";
import { lostRunReport } from "./lost-run";
import { buildReport, type VerifyResult } from "./report";
import { runPhase } from "./run-status";
import { readTimeline, throughputOf } from "./throughput";
import { type Sleep, waitForDeliveries, type WaitOptions } from "./wait-for-deliveries";

export class RunNotFoundError extends Error {
  constructor(testId: string) {
    super(
      `no run record for TEST_ID=${testId} in this Redis: check TEST_ID and REDIS_URL (throughput writes the record in setup; it expires after RUN_TTL)`,
    );
    this.name = "RunNotFoundError";
  }
}

// The whole verify step, runtime-neutral: k6 and Node supply the store, clock and sleep.
export async function runVerification(
  store: RunStateStore,
  settings: VerifySettings,
  clock: Clock,
  sleep: Sleep,
  onPoll?: WaitOptions["onPoll"],
): Promise<VerifyResult> {
  const record = await store.loadRunRecord();
  if (record === null) {
    const keysFound = await store.keysWithoutRecord();
    if (keysFound.length === 0) throw new RunNotFoundError(settings.testId);
    return lostRunReport(settings.testId, keysFound, clock.now());
  }
  const wait = await waitForDeliveries(store, record, { ...settings, onPoll }, clock, sleep);
  // With RETRY off Outpost makes one attempt, so every faulted undelivered event has used up its attempts.
  const maxAttempts = record.retry ? settings.outpostMaxAttempts : 1;
  const snapshot = await store.snapshot(record, settings.listMissing, maxAttempts);
  const phase = runPhase(record, snapshot.runEnd, clock.now(), settings.graceMs);
  const timeline = await readTimeline(store, record);
  const latency = await readStageLatencies(store, record);
  return buildReport(
    settings,
    {
      record,
      runEnd: snapshot.runEnd,
      wait,
      publish: publishCounters(snapshot.publish, record.plannedEvents),
      ledger: buildLedger(record, snapshot, { listCap: settings.listMissing, maxAttempts, phase }),
      latency: latency.stages,
      distribution: latency.distribution,
      overTime: await readLatencyOverTime(store, record, timeline),
      timeline,
      throughput: throughputOf(timeline),
    },
    clock.now(),
  );
}
