import type { ProfileConcurrency } from "../budget/concurrency-budget";
import { redactUrl } from "../config/env";
import type { VerifySettings } from "../config/verify-settings";
import { targetText } from "../outpost/target";
import { publicRunRecord, type RunRecord } from "../runstate/record";
import type { RunEnd } from "../runstate/store";
import { LATENCY_PRECISION, type StageLatencies } from "./latency";
import type { StageDistributions } from "./latency-distribution";
import type { LatencyOverTime } from "./latency-over-time";
import type { Ledger, LedgerSummary } from "./ledger";
import type { LostRunReport } from "./lost-run";
import type { PublishCounters } from "./publish-counters";
import type { Throughput, TimelinePoint } from "./throughput";
import { judge, type Outcome, type Verdict } from "./verdict";
import type { WaitResult } from "./wait-for-deliveries";

// What one traffic profile's figures are: its own publish counters, ledger,
// latency per stage and throughput, judged by the same checks as the run.
export interface ProfileParts {
  publish: PublishCounters;
  ledger: LedgerSummary;
  latency: StageLatencies;
  throughput: Throughput;
  // Receiver behaviour set through the mock's control endpoint during the run
  // (its JSON), in place of the record's; null when none was.
  receiverChanged: Record<string, unknown> | null;
}

export interface ProfileReport extends ProfileParts {
  // "" for the one profile of a run configured by the environment alone.
  name: string;
  // Its share of the concurrency budget, as setup computed it.
  budget: ProfileConcurrency | null;
  verdict: Verdict;
}

// Everything verify found, JSON-serialisable and free of secrets (the run
// record goes through publicRunRecord, REDIS_URL through redactUrl).
export interface VerifyReport {
  testId: string;
  // The verdict's outcome, repeated at the top for scripts reading SUMMARY_JSON.
  outcome: Outcome;
  // What the run was made against, e.g. "against the Outpost fake (…), not Outpost".
  against: string;
  generatedAt: string;
  settings: {
    redisUrl: string;
    graceMs: number;
    timeoutMs: number;
    pollIntervalMs: number;
    listMissing: number;
    minDeliveredRatio: number;
    latencyLimits: VerifySettings["latencyLimits"];
    allowPartial: boolean;
    maxPublishErrors: number;
  };
  run: ReturnType<typeof publicRunRecord>;
  runEnd: RunEnd;
  wait: WaitResult;
  publish: PublishCounters;
  ledger: Ledger;
  latency: {
    precision: typeof LATENCY_PRECISION;
    stages: StageLatencies;
    distribution: StageDistributions;
    // Per-window (and per-step) percentiles.
    overTime: LatencyOverTime;
  };
  throughput: Throughput;
  timeline: TimelinePoint[];
  // Per traffic profile, in the record's order (one entry for a one-profile run).
  profiles: ProfileReport[];
  verdict: Verdict;
}

// What verify produces: a full report, or VOID for a run whose record was lost.
export type VerifyResult = VerifyReport | LostRunReport;

export function isLostRun(r: VerifyResult): r is LostRunReport {
  return "runStateLost" in r;
}

export interface ReportParts {
  record: RunRecord;
  runEnd: VerifyReport["runEnd"];
  wait: WaitResult;
  publish: PublishCounters;
  ledger: Ledger;
  latency: StageLatencies;
  distribution: StageDistributions;
  overTime: LatencyOverTime;
  timeline: TimelinePoint[];
  throughput: Throughput;
  // In the record's order.
  profiles: ProfileParts[];
}

export function buildReport(settings: VerifySettings, parts: ReportParts, nowMs: number): VerifyReport {
  const { record, runEnd } = parts;
  const profiles = parts.profiles.map((p, i): ProfileReport => {
    const rp = record.profiles[i];
    return {
      name: rp.name,
      ...p,
      budget: record.budget?.profiles[i] ?? null,
      verdict: judge(settings, { record, runEnd, ledger: p.ledger, publish: p.publish, latency: p.latency }),
    };
  });
  const verdict = judge(settings, { ...parts, profiles: profiles.length > 1 ? profiles : [] });
  return {
    testId: parts.record.testId,
    outcome: verdict.outcome,
    against: targetText(parts.record.target, parts.record.outpostUrl),
    generatedAt: new Date(nowMs).toISOString(),
    settings: {
      redisUrl: redactUrl(settings.redisUrl),
      graceMs: settings.graceMs,
      timeoutMs: settings.timeoutMs,
      pollIntervalMs: settings.pollIntervalMs,
      listMissing: settings.listMissing,
      minDeliveredRatio: settings.minDeliveredRatio,
      latencyLimits: settings.latencyLimits,
      allowPartial: settings.allowPartial,
      maxPublishErrors: settings.maxPublishErrors,
    },
    run: publicRunRecord(parts.record),
    runEnd: parts.runEnd,
    wait: parts.wait,
    publish: parts.publish,
    ledger: parts.ledger,
    latency: {
      precision: LATENCY_PRECISION,
      stages: parts.latency,
      distribution: parts.distribution,
      overTime: parts.overTime,
    },
    throughput: parts.throughput,
    timeline: parts.timeline,
    profiles,
    verdict,
  };
}
