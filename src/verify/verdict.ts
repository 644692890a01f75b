import type { LatencyLimit, Percentile } from "../config/verify-settings";
import type { Ledger } from "./ledger";
import type { StageLatencies, StageLatency } from "./latency";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verdict {
  pass: boolean;
  void: boolean;
  checks: Check[];
  // Details of the failed checks, in check order.
  reasons: string[];
}

export interface VerdictCriteria {
  minDeliveredRatio: number;
  latencyLimits: LatencyLimit[];
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

function deliveredCheck(ledger: Ledger, min: number): Check {
  const t = ledger.totals;
  const ratio = ledger.deliveredRatio;
  if (ratio === null) return { name: "delivered", ok: false, detail: "no publish was accepted: nothing to verify" };
  const parts = [`${t.missing} missing`, `${t.inFlight} in flight`];
  if (t.missingAfterFault > 0)
    parts.push(`${t.missingAfterFault} of the missing after an injected fault on every attempt`);
  return {
    name: "delivered",
    ok: ratio >= min,
    detail: `delivered ${t.delivered} of ${t.accepted} expected deliveries (${percentText(ratio)}, required >= ${percentText(min)}): ${parts.join(", ")}`,
  };
}

function latencyCheck(latency: StageLatencies, limit: LatencyLimit): Check {
  const name = `${limit.stage} ${limit.percentile}`;
  const v = latencyValue(latency, limit);
  if (v === null)
    return { name, ok: false, detail: `${name}: no samples, limit ${limit.maxMs} ms (${limit.variable})` };
  return {
    name,
    ok: v <= limit.maxMs,
    detail: `${name} ${v.toFixed(1)} ms, limit ${limit.maxMs} ms (${limit.variable})`,
  };
}

// Pass means: the ledger is trustworthy (not void), enough was delivered, no
// delivery carried a bad signature, and every opted-in latency limit holds.
export function judge(criteria: VerdictCriteria, ledger: Ledger, latency: StageLatencies): Verdict {
  const bad = ledger.totals.signatures.bad ?? 0;
  const isVoid = ledger.voidReasons.length > 0;
  const checks: Check[] = [
    {
      name: "ledger",
      ok: !isVoid,
      detail: isVoid ? `VOID run: ${ledger.voidReasons.join("; ")}` : "ledger balanced and cross-checked",
    },
    deliveredCheck(ledger, criteria.minDeliveredRatio),
    {
      name: "signatures",
      ok: bad === 0,
      detail: bad === 0 ? "no bad signatures" : `${bad} delivery attempt(s) carried a bad signature`,
    },
    ...criteria.latencyLimits.map((l) => latencyCheck(latency, l)),
  ];
  const reasons = checks.filter((c) => !c.ok).map((c) => c.detail);
  return { pass: reasons.length === 0, void: isVoid, checks, reasons };
}
