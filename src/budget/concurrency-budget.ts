import { type FaultConfig, faultRatio, meanAnswerMs } from "../receiver/faults";

// Outpost's delivery workers take DELIVERY_MAX_CONCURRENCY messages at once per
// delivery replica, and a message holds its slot for the whole attempt: the
// receiver's answer plus Outpost's own work around the request. By Little's
// law a profile keeps rate × destinations × attempts per event × (receiver
// answer + overhead) slots busy. Past the deployment's slots, deliveries queue
// and a run measures the queue, not the dimension it meant to vary (Outpost's
// own load-test app refuses such a run the same way: loadtest/app/internal/run/spec.go
// on branch feat/loadtest-app).

export interface BudgetSettings {
  // OUTPOST_DELIVERY_CONCURRENCY: DELIVERY_MAX_CONCURRENCY × delivery replicas;
  // null when unset (nothing is checked).
  deliveryConcurrency: number | null;
  // BUDGET_TOLERANCE: the share of the slots a run may plan to use.
  tolerance: number;
  // BUDGET_CHECK: false runs an over-budget run anyway (with a warning).
  check: boolean;
  // BUDGET_DELIVERY_OVERHEAD: Outpost's time per attempt besides the receiver's answer.
  overheadMs: number;
  // OUTPOST_MAX_ATTEMPTS: attempts per event Outpost makes with retries on.
  maxAttempts: number;
}

// What one profile asks of the delivery workers.
export interface ProfileDemand {
  profile: string;
  // Peak events/s of the profile's load shape.
  peakRate: number;
  destinationsPerTenant: number;
  retry: boolean;
  receiver: FaultConfig;
  // Where the receiver behaviour comes from: the profile's own, or the mock's in force at setup.
  receiverSource: "profile" | "mock";
}

export interface ProfileConcurrency {
  profile: string;
  rate: number;
  destinations: number;
  attemptsPerEvent: number;
  receiverMeanMs: number;
  receiverSource: ProfileDemand["receiverSource"];
  concurrency: number;
}

export interface ConcurrencyBudget {
  deliveryConcurrency: number;
  tolerance: number;
  // tolerance × deliveryConcurrency.
  allowed: number;
  overheadMs: number;
  check: boolean;
  // Σ of the profiles' concurrency.
  offered: number;
  profiles: ProfileConcurrency[];
  within: boolean;
}

// Attempts per event with independent faults at ratio f: 1 + f + f² + … over the attempts Outpost makes.
export function attemptsPerEvent(f: number, retry: boolean, maxAttempts: number): number {
  if (!retry) return 1;
  let sum = 0;
  for (let k = 0; k < maxAttempts; k++) sum += f ** k;
  return sum;
}

// Only with a budget: OUTPOST_DELIVERY_CONCURRENCY set.
export function concurrencyBudget(
  s: BudgetSettings & { deliveryConcurrency: number },
  demands: ProfileDemand[],
): ConcurrencyBudget {
  const profiles = demands.map((d): ProfileConcurrency => {
    const attempts = attemptsPerEvent(faultRatio(d.receiver), d.retry, s.maxAttempts);
    const receiverMeanMs = meanAnswerMs(d.receiver);
    return {
      profile: d.profile,
      rate: d.peakRate,
      destinations: d.destinationsPerTenant,
      attemptsPerEvent: attempts,
      receiverMeanMs,
      receiverSource: d.receiverSource,
      concurrency: (d.peakRate * d.destinationsPerTenant * attempts * (receiverMeanMs + s.overheadMs)) / 1000,
    };
  });
  const offered = profiles.reduce((sum, p) => sum + p.concurrency, 0);
  const allowed = s.tolerance * s.deliveryConcurrency;
  return {
    deliveryConcurrency: s.deliveryConcurrency,
    tolerance: s.tolerance,
    allowed,
    overheadMs: s.overheadMs,
    check: s.check,
    offered,
    profiles,
    within: offered <= allowed,
  };
}

const fixed = (n: number, digits = 1): string => n.toFixed(digits);

function share(p: ProfileConcurrency, overheadMs: number): string {
  const name = p.profile === "" ? "" : `${p.profile} `;
  const retries = p.attemptsPerEvent === 1 ? "" : ` × ${fixed(p.attemptsPerEvent, 2)} attempts`;
  return `${name}${fixed(p.concurrency)} = ${p.rate} ev/s × ${p.destinations} destination(s)${retries} × (${fixed(p.receiverMeanMs)} ms receiver + ${fixed(overheadMs)} ms overhead)`;
}

function limitText(b: ConcurrencyBudget): string {
  return `BUDGET_TOLERANCE ${b.tolerance} × OUTPOST_DELIVERY_CONCURRENCY ${b.deliveryConcurrency} = ${fixed(b.allowed)}`;
}

function demandText(b: ConcurrencyBudget): string {
  return `${fixed(b.offered)} concurrent deliveries offered (${b.profiles.map((p) => share(p, b.overheadMs)).join("; ")})`;
}

// The one line that stops setup, or null when the run may go ahead.
export function budgetRefusal(b: ConcurrencyBudget): string | null {
  if (b.within || !b.check) return null;
  return `concurrency budget exceeded: ${demandText(b)} > ${limitText(b)}; past it Outpost queues deliveries and the run measures the queue: lower a rate, the fan-out or the receiver latency, set OUTPOST_DELIVERY_CONCURRENCY to the deployment's DELIVERY_MAX_CONCURRENCY × delivery replicas, or BUDGET_CHECK=off`;
}

// The line setup prints when the run goes ahead, and the report's.
export function budgetLine(b: ConcurrencyBudget): string {
  const used = `${demandText(b)}, ${fixed((100 * b.offered) / b.deliveryConcurrency)}% of OUTPOST_DELIVERY_CONCURRENCY ${b.deliveryConcurrency}`;
  if (b.within) return `concurrency budget: ${used}, within ${limitText(b)}`;
  return `concurrency budget exceeded, running anyway (BUDGET_CHECK=off): ${used}, over ${limitText(b)}`;
}
