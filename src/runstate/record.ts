import type { ConcurrencyBudget } from "../budget/concurrency-budget";
import type { OutpostTarget } from "../outpost/target";
import type { FaultConfig } from "../receiver/faults";
import type { ProfileLayout } from "./identity";
import type { LatencyWindowPlan } from "./latency-windows";

// What throughput's setup leaves for the mock and for verify. It holds the
// destinations' signing secrets (the mock needs them): never print it whole.
export interface RunDestination {
  // Run-wide index.
  index: number;
  // Run-wide tenant index.
  tenant: number;
  id: string;
  url: string;
  secret: string;
}

// One traffic profile of the run: a k6 scenario of its own.
export interface RunProfile extends ProfileLayout {
  topic: string;
  retry: boolean;
  payloadBytes: number;
  // Peak events/s of its load shape.
  peakRate: number;
  // Events its schedule holds (k6 may start one more or fewer) and when it ends
  // (startedAtMs + its DURATION).
  plannedEvents: number;
  plannedEndMs: number;
  // What the mock does for this profile's destinations (latency, errors,
  // timeouts, resets); null: the mock's own faults (MOCK_FAULT_*, /control/faults).
  // The control endpoint may change it during the run (RunStateStore.receiverOverrides).
  receiver: FaultConfig | null;
}

export interface RunRecord {
  version: 4;
  testId: string;
  // Reference instant: relative timestamps in Redis count ms from here.
  startedAtMs: number;
  // Latency samples of events whose t0 falls before this are not recorded.
  warmupEndsAtMs: number;
  // At least one; tenants and destinations are numbered across them in order.
  profiles: RunProfile[];
  // Events the profiles schedule across all k6 instances (k6's arrival-rate
  // executors may start one more or fewer): verify compares publish attempts with it.
  plannedEvents: number;
  // When the last profile's schedule ends: until this plus VERIFY_GRACE a run
  // without a recorded end counts as in progress.
  plannedEndMs: number;
  // Latency over time: the windows the samples of each event's t0 also count in.
  latencyWindows: LatencyWindowPlan;
  outpostUrl: string;
  // Outpost or the Outpost fake, from its /healthz when the run was provisioned.
  target?: OutpostTarget;
  // Effective non-secret settings, for the report.
  settings: Record<string, string | number | boolean>;
  // The concurrency budget setup computed (and checked when it had one).
  budget: ConcurrencyBudget | null;
  // Run-wide tenant index -> Outpost tenant id.
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
  if (
    r.version !== 4 ||
    typeof r.testId !== "string" ||
    !Array.isArray(r.profiles) ||
    r.profiles.length === 0 ||
    !Array.isArray(r.destinations)
  ) {
    throw new Error("run record: unsupported or corrupt format");
  }
  return r;
}

// The profile an event id names ("" for the unnamed one); null when the run has none of that name.
export function profileNamed(record: Pick<RunRecord, "profiles">, name: string): RunProfile | null {
  return record.profiles.find((p) => p.name === name) ?? null;
}

// The record without secrets, safe to print or write to a summary file.
export function publicRunRecord(r: RunRecord): Omit<RunRecord, "destinations"> & {
  destinations: Omit<RunDestination, "secret">[];
} {
  return { ...r, destinations: r.destinations.map(({ secret: _secret, ...rest }) => rest) };
}
