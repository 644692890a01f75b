import { ConfigError } from "../config/env";
import { STAGES, type Stage } from "../runstate/keys";
import { stageLatency } from "./latency";
import { emptyHistogram } from "../runstate/histogram";
import type { RunProfile } from "../runstate/record";
import type { VerifyReport } from "./report";

// The stages a report lacks: one saved by an older verify has no generator_lag.
// compare skips them.
export function absentStages(r: Pick<VerifyReport, "latency">): Stage[] {
  return STAGES.filter((stage) => r.latency.stages[stage] === undefined);
}

// A copy of the report with its absent stages present and empty (no samples),
// for pages that show every stage; the report itself is left as it was saved.
export function withAbsentStagesEmpty(r: VerifyReport): VerifyReport {
  const copy = JSON.parse(JSON.stringify(r)) as VerifyReport;
  const none = { count: 0, p50Ms: null, p90Ms: null, p95Ms: null, p99Ms: null };
  for (const stage of absentStages(r)) {
    copy.latency.stages[stage] = stageLatency(emptyHistogram());
    if (copy.latency.distribution !== undefined) copy.latency.distribution[stage] = [];
    for (const p of [...(copy.latency.overTime?.windows ?? []), ...(copy.latency.overTime?.steps ?? [])])
      p.stages[stage] = none;
  }
  return copy;
}

// What compare and the report tools read: a verify SUMMARY_JSON. Anything else
// is one line naming the setting, the file and what is missing.
export function parseVerifyReport(text: string, variable: string, path: string): VerifyReport {
  const bad = (why: string): never => {
    throw new ConfigError(`${variable}=${path} is not a verify report (the SUMMARY_JSON verify writes): ${why}`);
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  const r = v as Partial<VerifyReport> | null;
  if (r === null || typeof r !== "object" || Array.isArray(r)) return bad("not a JSON object");
  if (typeof r.testId !== "string") return bad("no testId");
  if (typeof r.latency?.stages?.e2e !== "object") bad("no latency.stages.e2e");
  if (typeof r.throughput !== "object" || r.throughput === null) bad("no throughput");
  if (typeof r.ledger?.totals !== "object") bad("no ledger.totals");
  if (typeof r.verdict !== "object" || r.verdict === null) bad("no verdict");
  if (!Array.isArray(r.run?.profiles) && typeof (r.run as OlderRun | undefined)?.shape !== "object")
    bad("no run record");
  return withProfiles(r as VerifyReport);
}

// The run record as a verify before traffic profiles saved it: one shape, topic and retry.
interface OlderRun {
  shape: { tenants: number; destinationsPerTenant: number };
  topic: string;
  retry: boolean;
}

// A report saved before traffic profiles: its run as the one unnamed profile
// it was, no per-profile section (it had none) and no budget.
function withProfiles(r: VerifyReport): VerifyReport {
  if (Array.isArray(r.run.profiles)) return r;
  const older = r.run as unknown as OlderRun;
  const profile: RunProfile = {
    name: "",
    index: 0,
    firstTenant: 0,
    firstDestination: 0,
    tenants: older.shape.tenants,
    destinationsPerTenant: older.shape.destinationsPerTenant,
    topic: older.topic,
    retry: older.retry,
    payloadBytes: Number(r.run.settings.PAYLOAD_BYTES ?? 0),
    peakRate: Number(r.run.settings.RATE ?? 0),
    plannedEvents: r.run.plannedEvents,
    plannedEndMs: r.run.plannedEndMs,
    receiver: null,
  };
  const timeline = r.timeline.map((p) => ({ ...p, owed: p.published * profile.destinationsPerTenant }));
  return { ...r, run: { ...r.run, profiles: [profile], budget: null }, profiles: [], timeline };
}
