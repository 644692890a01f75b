import { formatDuration } from "../config/env";
import type { LatencyLimit, Percentile } from "../config/verify-settings";
import type { RunRecord } from "../runstate/record";
import type { RunEnd } from "../runstate/store";
import type { StageLatencies, StageLatency } from "./latency";
import { type LedgerSummary, RUN_STATE_LOST } from "./ledger";
import { type PublishCounters, shortfall } from "./publish-counters";

// The four outcomes, in precedence order: when several apply, the first wins.
// VOID: the figures cannot be trusted. INCOMPLETE: the run is not (or was not)
// over, so its figures are not final. FAIL: a check failed. PASS: none did.
export const OUTCOMES = ["VOID", "INCOMPLETE", "FAIL", "PASS"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Check {
  name: string;
  ok: boolean;
  // The outcome this check gives when it fails.
  failsAs: Exclude<Outcome, "PASS">;
  detail: string;
  // Shown after the outcome in the headline when this check decides it.
  label?: string;
}

export interface Verdict {
  outcome: Outcome;
  // The first line of the text report, e.g. "INCOMPLETE (run in progress)".
  headline: string;
  pass: boolean;
  void: boolean;
  checks: Check[];
  // Details of the failed checks, in check order.
  reasons: string[];
}

export interface VerdictCriteria {
  minDeliveredRatio: number;
  latencyLimits: LatencyLimit[];
  graceMs: number;
  // Judge a run that stopped early on what it published instead of calling it INCOMPLETE.
  allowPartial: boolean;
  // Publishes Outpost refused or never answered that a passing run may have.
  maxPublishErrors: number;
}

const PERCENTILE_FIELD: Record<Percentile, keyof StageLatency> = {
  p50: "p50Ms",
  p90: "p90Ms",
  p95: "p95Ms",
  p99: "p99Ms",
  max: "maxMs",
};

export function latencyValue(
  latency: StageLatencies,
  limit: Pick<LatencyLimit, "stage" | "percentile">,
): number | null {
  return latency[limit.stage][PERCENTILE_FIELD[limit.percentile]];
}

export function percentText(ratio: number): string {
  return `${(ratio * 100).toFixed(3)}%`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function runCheck(criteria: VerdictCriteria, { record, runEnd, ledger, publish }: JudgedRun): Check {
  const settles = `its planned end ${iso(record.plannedEndMs)} + VERIFY_GRACE ${formatDuration(criteria.graceMs)}`;
  const published = `published ${publish.attempted} of about ${publish.planned} planned events`;
  const partial = (label: string, detail: string): Check =>
    criteria.allowPartial
      ? {
          name: "run",
          ok: true,
          failsAs: "INCOMPLETE",
          detail: `${detail}; judged on what it published (VERIFY_ALLOW_PARTIAL=true)`,
        }
      : {
          name: "run",
          ok: false,
          failsAs: "INCOMPLETE",
          label,
          detail: `${detail} (VERIFY_ALLOW_PARTIAL=true judges what it published)`,
        };
  switch (ledger.phase) {
    case "ended":
      return { name: "run", ok: true, failsAs: "INCOMPLETE", detail: "throughput recorded the end of the run" };
    case "cut_short": {
      const end = runEnd.endedAtMs ?? record.plannedEndMs;
      const early = ((record.plannedEndMs - end) / 1000).toFixed(1);
      return partial(
        "cut short",
        `cut short: throughput stopped at ${iso(end)}, ${early} s before its planned end, and ${published}`,
      );
    }
    case "in_progress":
      return {
        name: "run",
        ok: false,
        failsAs: "INCOMPLETE",
        label: "run in progress",
        detail: `run in progress: throughput has not recorded its end, and ${settles} has not passed; ${ledger.totals.inFlight} undelivered event(s) counted as in flight`,
      };
    case "no_end":
      return partial(
        "cut short or crashed",
        `cut short or crashed: throughput never recorded its end, and ${settles} has passed; it ${published}`,
      );
  }
}

// What Outpost refused (non-2xx) or never answered (refused connection, reset,
// timeout): load the system did not take, which the ledger (built on accepted
// publishes) cannot show.
// Planned publishes k6 never made count too, in a run that ran its whole schedule: dropped
// iterations, and slots a lagging constant-arrival-rate never started before its end (k6 v1.1.0
// counts those nowhere; seen at load 9 on 2 cores). verify alone then tells the load was not delivered.
function publishCheck(p: PublishCounters, phase: LedgerSummary["phase"], max: number): Check {
  const failed = p.failed;
  const dropped = phase === "ended" ? shortfall(p) : 0;
  const kinds = [
    ...Object.entries(p.rejected).map(([status, n]) => `HTTP ${status} ${n}`),
    ...Object.entries(p.errors).map(([kind, n]) => `${kind} ${n}`),
  ];
  const share = (n: number, of: number): string => (of === 0 ? "" : ` (${percentText(n / of)})`);
  const problems = [
    ...(failed > 0
      ? [
          `${failed} of ${p.attempted} publishes${share(failed, p.attempted)} refused, failed or timed out: ${kinds.join(", ")}`,
        ]
      : []),
    ...(dropped > 0
      ? [
          `about ${dropped} of ${p.planned} planned publishes${share(dropped, p.planned)} never made: k6 dropped their iterations or, running late, ended the scenario before starting them (see its dropped_iterations; PRE_ALLOCATED_VUS, or more than the target sustains)`,
        ]
      : []),
  ];
  return {
    name: "publish",
    ok: failed + dropped <= max,
    failsAs: "FAIL",
    detail:
      problems.length === 0
        ? `none of ${p.attempted} publishes was refused, failed or timed out`
        : `${problems.join("; ")}; at most ${max} allowed (VERIFY_MAX_PUBLISH_ERRORS)`,
  };
}

// Destinations Outpost stopped routing events to. Not a loss (Outpost never
// took them on) and not void (the cause is known to be on Outpost's side), but
// not the load the run set out to measure either.
function routingCheck(ledger: LedgerSummary): Check {
  if (ledger.notRouted.length === 0)
    return {
      name: "routing",
      ok: true,
      failsAs: "FAIL",
      detail: "Outpost routed every accepted event to every destination of its tenant",
    };
  const when = (ms: number | null): string => (ms === null ? "?" : iso(ms));
  const gaps = ledger.notRouted.map(
    (g) =>
      `destination ${g.destination} (${g.id}) for ${g.events} event(s) from ${when(g.firstMs)} to ${when(g.lastMs)}`,
  );
  return {
    name: "routing",
    ok: false,
    failsAs: "FAIL",
    detail: `Outpost's publish answers left out ${gaps.join("; ")}: those events are not routed (neither delivered nor missing). Likely causes: the destination was disabled or deleted, by hand or by Outpost itself (ALERT_AUTO_DISABLE_DESTINATION after ALERT_CONSECUTIVE_FAILURE_COUNT failed deliveries); deliveries queued for it just before are dropped and show as missing`,
  };
}

function deliveredCheck(ledger: LedgerSummary, min: number): Check {
  const t = ledger.totals;
  const ratio = ledger.deliveredRatio;
  if (ratio === null)
    return {
      name: "delivered",
      ok: false,
      failsAs: "FAIL",
      detail:
        t.accepted === 0
          ? "no publish was accepted: nothing to verify"
          : "Outpost routed no accepted event: nothing to verify",
    };
  const parts = [`${t.missing} missing`, `${t.inFlight} in flight`];
  if (t.missingAfterFault > 0)
    parts.push(`${t.missingAfterFault} of the missing after an injected fault on every attempt`);
  return {
    name: "delivered",
    ok: ratio >= min,
    failsAs: "FAIL",
    detail: `delivered ${t.delivered} of ${t.accepted - t.notRouted} expected deliveries (${percentText(ratio)}, required >= ${percentText(min)}): ${parts.join(", ")}${t.notRouted > 0 ? `; ${t.notRouted} more not routed (see routing)` : ""}`,
  };
}

function latencyCheck(latency: StageLatencies, limit: LatencyLimit): Check {
  const name = `${limit.stage} ${limit.percentile}`;
  const v = latencyValue(latency, limit);
  if (v === null)
    return {
      name,
      ok: false,
      failsAs: "FAIL",
      detail: `${name}: no samples, limit ${limit.maxMs} ms (${limit.variable})`,
    };
  return {
    name,
    ok: v <= limit.maxMs,
    failsAs: "FAIL",
    detail: `${name} ${v.toFixed(1)} ms, limit ${limit.maxMs} ms (${limit.variable})`,
  };
}

// The outcome of the failed checks by precedence, and the headline naming it.
export function decide(checks: Check[]): Pick<Verdict, "outcome" | "headline"> {
  const failed = checks.filter((c) => !c.ok);
  for (const outcome of OUTCOMES) {
    const deciding = failed.find((c) => c.failsAs === outcome);
    if (deciding !== undefined)
      return { outcome, headline: deciding.label ? `${outcome} (${deciding.label})` : outcome };
  }
  return { outcome: "PASS", headline: "PASS" };
}

// What a verdict is about: one snapshot of a run (or of one of its traffic
// profiles), turned into figures.
export interface JudgedRun {
  record: RunRecord;
  runEnd: RunEnd;
  ledger: LedgerSummary;
  publish: PublishCounters;
  latency: StageLatencies;
  // A run of several profiles: each one's own verdict, which the run's must not hide
  // (a profile may lose deliveries that the run's totals still round to enough).
  profiles?: Array<{ name: string; verdict: Verdict }>;
}

// Every profile passes the same checks on its own figures.
function profilesCheck(profiles: NonNullable<JudgedRun["profiles"]>): Check {
  const failed = profiles.filter((p) => !p.verdict.pass);
  return {
    name: "profiles",
    ok: failed.length === 0,
    failsAs: "FAIL",
    detail:
      failed.length === 0
        ? `each of the ${profiles.length} profiles passes on its own figures`
        : failed.map((p) => `profile ${p.name}: ${p.verdict.headline} (${p.verdict.reasons.join("; ")})`).join("; "),
  };
}

// Pass means: the ledger is trustworthy (not void), the run is over, enough was
// delivered, no delivery carried a bad signature, every opted-in latency limit
// holds, and in a run of several profiles each of them passes.
export function judge(criteria: VerdictCriteria, run: JudgedRun): Verdict {
  const { ledger, latency } = run;
  const bad = ledger.totals.signatures.bad ?? 0;
  const isVoid = ledger.voidReasons.length > 0;
  const checks: Check[] = [
    {
      name: "ledger",
      ok: !isVoid,
      failsAs: "VOID",
      ...(ledger.voidReasons.some((r) => r.startsWith(RUN_STATE_LOST) || r.includes(`: ${RUN_STATE_LOST}`))
        ? { label: RUN_STATE_LOST }
        : {}),
      detail: isVoid ? `VOID run: ${ledger.voidReasons.join("; ")}` : "ledger balanced and cross-checked",
    },
    runCheck(criteria, run),
    publishCheck(run.publish, ledger.phase, criteria.maxPublishErrors),
    routingCheck(ledger),
    deliveredCheck(ledger, criteria.minDeliveredRatio),
    {
      name: "signatures",
      ok: bad === 0,
      failsAs: "FAIL",
      detail: bad === 0 ? "no bad signatures" : `${bad} delivery attempt(s) carried a bad signature`,
    },
    ...criteria.latencyLimits.map((l) => latencyCheck(latency, l)),
    ...(run.profiles && run.profiles.length > 0 ? [profilesCheck(run.profiles)] : []),
  ];
  const reasons = checks.filter((c) => !c.ok).map((c) => c.detail);
  const { outcome, headline } = decide(checks);
  return { outcome, headline, pass: outcome === "PASS", void: outcome === "VOID", checks, reasons };
}
