import type { VerifySettings } from "../config/verify-settings";
import type { Clock } from "../ports";
import type { RunStateStore } from "../runstate/store";
import { addCounts } from "../runstate/store";
import { readStageLatencies } from "./latency";
import { readLatencyOverTime } from "./latency-over-time";
import { buildLedger, type LedgerOptions, profileLedger } from "./ledger";
import { publishCounters } from "./publish-counters";
import { lostRunReport } from "./lost-run";
import { buildReport, type VerifyResult } from "./report";
import { runPhase } from "./run-status";
import { readThroughput } from "./throughput";
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
  const snapshot = await store.snapshot(record, settings.listMissing, (p) =>
    p.retry ? settings.outpostMaxAttempts : 1,
  );
  const phase = runPhase(record, snapshot.runEnd, clock.now(), settings.graceMs);
  const opts: LedgerOptions = { listCap: settings.listMissing, maxAttempts: settings.outpostMaxAttempts, phase };
  const latency = await readStageLatencies(store, record);
  const throughput = await readThroughput(store, record);
  const overrides = await store.receiverOverrides();
  const allPublish: Record<string, number> = {};
  for (const counts of snapshot.publish) addCounts(allPublish, counts);
  return buildReport(
    settings,
    {
      record,
      runEnd: snapshot.runEnd,
      wait,
      publish: publishCounters(allPublish, record.plannedEvents, record.profiles.length),
      ledger: buildLedger(record, snapshot, opts),
      latency: latency.stages,
      distribution: latency.distribution,
      overTime: await readLatencyOverTime(store, record, throughput.timeline),
      timeline: throughput.timeline,
      throughput: throughput.throughput,
      profiles: record.profiles.map((p) => {
        const changed = overrides.get(p.index);
        return {
          publish: publishCounters(snapshot.publish[p.index] ?? {}, p.plannedEvents),
          ledger: profileLedger(record, snapshot, p, opts),
          latency: latency.profiles[p.index],
          throughput: throughput.profiles[p.index],
          receiverChanged: changed === undefined ? null : (JSON.parse(changed) as Record<string, unknown>),
        };
      }),
    },
    clock.now(),
  );
}
