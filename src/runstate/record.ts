import type { OutpostTarget } from "../outpost/target";
import type { RunShape } from "./identity";
import type { LatencyWindowPlan } from "./latency-windows";

// What throughput's setup leaves for the mock and for verify. It holds the
// destinations' signing secrets (the mock needs them): never print it whole.
export interface RunDestination {
  index: number;
  tenant: number;
  id: string;
  url: string;
  secret: string;
}

export interface RunRecord {
  version: 3;
  testId: string;
  // Reference instant: relative timestamps in Redis count ms from here.
  startedAtMs: number;
  // Latency samples of events whose t0 falls before this are not recorded.
  warmupEndsAtMs: number;
  shape: RunShape;
  // Events the load profile schedules across all k6 instances (k6's arrival-rate
  // executors may start one more or fewer): verify compares publish attempts with it.
  plannedEvents: number;
  // When the load's schedule ends (startedAtMs + DURATION): until this plus
  // VERIFY_GRACE a run without a recorded end counts as in progress.
  plannedEndMs: number;
  // Latency over time: the windows the samples of each event's t0 also count in.
  latencyWindows: LatencyWindowPlan;
  retry: boolean;
  topic: string;
  outpostUrl: string;
  // Outpost or the Outpost fake, from its /healthz when the run was provisioned.
  target?: OutpostTarget;
  // Effective non-secret settings, for the report.
  settings: Record<string, string | number | boolean>;
  tenants: string[];
  destinations: RunDestination[];
}

// Whether a throughput stopping at nowMs ran its whole schedule. The load
// starts right after setup wrote startedAtMs, so a run that reaches
// plannedEndMs has published (or dropped) every scheduled iteration; a teardown
// before it follows Ctrl-C or exec.test.abort (k6 runs teardown after both).
export function scheduleCompletedBy(record: Pick<RunRecord, "plannedEndMs">, nowMs: number): boolean {
  return nowMs >= record.plannedEndMs;
}

export function parseRunRecord(json: string): RunRecord {
  const r = JSON.parse(json) as RunRecord;
  if (r.version !== 3 || typeof r.testId !== "string" || !r.shape || !Array.isArray(r.destinations)) {
    throw new Error("run record: unsupported or corrupt format");
  }
  return r;
}

// The record without secrets, safe to print or write to a summary file.
export function publicRunRecord(r: RunRecord): Omit<RunRecord, "destinations"> & {
  destinations: Omit<RunDestination, "secret">[];
} {
  return { ...r, destinations: r.destinations.map(({ secret: _secret, ...rest }) => rest) };
}
