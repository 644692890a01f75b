import { PERCENTILES, type VerifySettings } from "../config/verify-settings";
import { STAGES } from "../runstate/keys";
import { isLostRun, type VerifyReport, type VerifyResult } from "./report";
import { latencyValue } from "./verdict";

// The verdict as gauge values and k6 threshold expressions, so k6 itself
// fails the run (exit 99) and any metrics output (remote write) carries it.
// verify_pass covers every check, including ones a gauge cannot express (a
// latency limit on a stage with no samples); the others name the failure.

export const PASS_METRIC = "verify_pass";

export function latencyMetricName(stage: string, percentile: string): string {
  return `verify_${stage}_${percentile}_ms`;
}

export function verdictThresholds(
  settings: Pick<VerifySettings, "minDeliveredRatio" | "latencyLimits">,
): Record<string, string[]> {
  const thresholds: Record<string, string[]> = {
    [PASS_METRIC]: ["value==1"],
    verify_void: ["value==0"],
    verify_delivered_ratio: [`value>=${settings.minDeliveredRatio}`],
    verify_bad_signatures: ["value==0"],
  };
  for (const l of settings.latencyLimits) thresholds[latencyMetricName(l.stage, l.percentile)] = [`value<=${l.maxMs}`];
  return thresholds;
}

const GAUGES: Record<string, (r: VerifyReport) => number> = {
  [PASS_METRIC]: (r) => (r.verdict.pass ? 1 : 0),
  verify_void: (r) => (r.verdict.void ? 1 : 0),
  // Informational: verify_pass already fails an INCOMPLETE run.
  verify_incomplete: (r) => (r.outcome === "INCOMPLETE" ? 1 : 0),
  verify_delivered_ratio: (r) => r.ledger.deliveredRatio ?? 0,
  verify_bad_signatures: (r) => r.ledger.totals.signatures.bad ?? 0,
  verify_publish_errors: (r) => r.publish.failed,
  verify_accepted: (r) => r.ledger.totals.accepted,
  verify_delivered: (r) => r.ledger.totals.delivered,
  verify_missing: (r) => r.ledger.totals.missing,
  verify_in_flight: (r) => r.ledger.totals.inFlight,
  verify_duplicates: (r) => r.ledger.totals.duplicates,
  verify_unknown: (r) => r.ledger.totals.unknown,
  verify_delivered_per_second: (r) => r.throughput.delivered?.perSecond ?? 0,
};

// Latency gauges are left out for stages without samples; a lost run has
// nothing to count, only its verdict.
export function verdictMetricValues(result: VerifyResult): Record<string, number> {
  if (isLostRun(result)) return { [PASS_METRIC]: 0, verify_void: 1, verify_incomplete: 0 };
  const r = result;
  const values: Record<string, number> = {};
  for (const [name, read] of Object.entries(GAUGES)) values[name] = read(r);
  for (const stage of STAGES) {
    for (const percentile of PERCENTILES) {
      const v = latencyValue(r.latency.stages, { stage, percentile });
      if (v !== null) values[latencyMetricName(stage, percentile)] = v;
    }
  }
  return values;
}

// Every gauge verdictMetricValues can emit; k6 needs them declared at init.
export function verdictMetricNames(): string[] {
  const names = Object.keys(GAUGES);
  for (const stage of STAGES) for (const percentile of PERCENTILES) names.push(latencyMetricName(stage, percentile));
  return names;
}
