import {
  budgetLine,
  budgetRefusal,
  type ConcurrencyBudget,
  concurrencyBudget,
  type ProfileDemand,
} from "../budget/concurrency-budget";
import { ConfigError, redactUrl } from "../config/env";
import { peakRate, type ThroughputSettings } from "../config/throughput-settings";
import type { HttpPort } from "../ports";
import { type FaultConfig, faultsFromObject, NO_FAULTS } from "../receiver/faults";

// The receiver behaviour the mock applies to destinations of profiles without
// their own: its faults in force now (MOCK_FAULT_*, changed by /control/faults).
async function mockFaults(http: HttpPort, mockUrl: string): Promise<FaultConfig> {
  const res = await http.request({
    method: "GET",
    url: `${mockUrl}/control/faults`,
    timeoutMs: 5000,
    name: "mock faults",
  });
  const why = res.status === 0 ? (res.error ?? "no response") : `HTTP ${res.status}`;
  try {
    if (res.status === 200) return faultsFromObject(JSON.parse(res.body), NO_FAULTS, "its answer");
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof SyntaxError)) throw err;
    throw new Error(`the mock webhook at ${redactUrl(mockUrl)} answered GET /control/faults with ${err.message}`);
  }
  throw new Error(
    `the mock webhook at ${redactUrl(mockUrl)} did not answer GET /control/faults (${why}): the concurrency budget needs its receiver latency`,
  );
}

// The line setup prints when OUTPOST_DELIVERY_CONCURRENCY is unset.
export const NO_BUDGET_LINE = "OUTPOST_DELIVERY_CONCURRENCY is unset: no concurrency budget check";

// Setup's concurrency budget when OUTPOST_DELIVERY_CONCURRENCY is set (null
// otherwise): refused with one line before any load when over the allowance
// unless BUDGET_CHECK=off. Returns the budget and the line to print.
export async function checkBudget(
  http: HttpPort,
  s: ThroughputSettings,
): Promise<{ budget: ConcurrencyBudget | null; line: string }> {
  if (s.budget.deliveryConcurrency === null) return { budget: null, line: NO_BUDGET_LINE };
  const shared = s.profiles.some((p) => p.receiver === null) ? await mockFaults(http, s.mockUrl) : NO_FAULTS;
  const demands = s.profiles.map(
    (p): ProfileDemand => ({
      profile: p.name,
      peakRate: peakRate(p.load),
      destinationsPerTenant: p.destinationsPerTenant,
      retry: p.retry,
      receiver: p.receiver ?? shared,
      receiverSource: p.receiver === null ? "mock" : "profile",
    }),
  );
  const budget = concurrencyBudget({ ...s.budget, deliveryConcurrency: s.budget.deliveryConcurrency }, demands);
  const refusal = budgetRefusal(budget);
  if (refusal !== null) throw new Error(refusal);
  return { budget, line: budgetLine(budget) };
}
