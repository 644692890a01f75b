import { strict as assert } from "node:assert";
import {
  attemptsPerEvent,
  type BudgetSettings,
  budgetLine,
  budgetRefusal,
  concurrencyBudget,
  type ProfileDemand,
} from "../../src/budget/concurrency-budget";
import { readThroughputSettings } from "../../src/config/throughput-settings";
import { Faults, meanAnswerMs, NO_FAULTS } from "../../src/receiver/faults";
import { latencyMeanMs, parseLatency } from "../../src/receiver/latency";
import { configErrorOf } from "../support/config-error";

type WithBudget = BudgetSettings & { deliveryConcurrency: number };
const settings = (over: Partial<WithBudget> = {}): WithBudget => ({
  deliveryConcurrency: 100,
  tolerance: 0.8,
  check: true,
  overheadMs: 5,
  maxAttempts: 11,
  ...over,
});

const demand = (over: Partial<ProfileDemand>): ProfileDemand => ({
  profile: "p",
  peakRate: 10,
  destinationsPerTenant: 1,
  retry: false,
  receiver: NO_FAULTS,
  receiverSource: "profile",
  ...over,
});

// A seeded generator, so sampled means are reproducible.
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe("concurrency budget", () => {
  it("is Little's law: Σ rate × destinations × (receiver mean + overhead)", () => {
    const b = concurrencyBudget(settings(), [
      demand({
        profile: "fanout",
        peakRate: 10,
        destinationsPerTenant: 5,
        receiver: { ...NO_FAULTS, latency: "fixed:50ms" },
      }),
      demand({ profile: "steady", peakRate: 20 }),
    ]);
    // fanout: 10 × 5 × (50 + 5) ms = 2.75; steady: 20 × 1 × 5 ms = 0.1.
    assert.deepEqual(
      b.profiles.map((p) => [p.profile, Number(p.concurrency.toFixed(6)), p.receiverMeanMs]),
      [
        ["fanout", 2.75, 50],
        ["steady", 0.1, 0],
      ],
    );
    assert.deepEqual([Number(b.offered.toFixed(6)), b.allowed, b.within], [2.85, 80, true]);
    assert.equal(budgetRefusal(b), null);
    assert.match(
      budgetLine(b),
      /^concurrency budget: 2\.9 concurrent deliveries offered \(fanout 2\.8 = 10 ev\/s × 5 destination\(s\) × \(50\.0 ms receiver \+ 5\.0 ms overhead\); steady 0\.1 = .*\), 2\.9% of OUTPOST_DELIVERY_CONCURRENCY 100, within BUDGET_TOLERANCE 0\.8 × OUTPOST_DELIVERY_CONCURRENCY 100 = 80\.0$/,
    );
  });

  it("refuses an over-budget run in one line giving both numbers, unless the check is off", () => {
    const slow = demand({
      peakRate: 500,
      destinationsPerTenant: 5,
      receiver: { ...NO_FAULTS, latency: "fixed:100ms" },
    });
    const b = concurrencyBudget(settings(), [slow]);
    const line = budgetRefusal(b) ?? "";
    assert.match(
      line,
      /^concurrency budget exceeded: 262\.5 concurrent deliveries offered \(p 262\.5 = .*\) > BUDGET_TOLERANCE 0\.8 × OUTPOST_DELIVERY_CONCURRENCY 100 = 80\.0; .* or BUDGET_CHECK=off$/,
    );
    assert.ok(!line.includes("\n"));
    const off = concurrencyBudget(settings({ check: false }), [slow]);
    assert.equal(budgetRefusal(off), null);
    assert.match(budgetLine(off), /^concurrency budget exceeded, running anyway \(BUDGET_CHECK=off\)/);
  });

  it("counts retried attempts: with RETRY, faults at ratio f make 1 + f + … + f^(attempts-1) attempts", () => {
    assert.equal(attemptsPerEvent(0.5, false, 11), 1);
    assert.equal(attemptsPerEvent(0.5, true, 3), 1.75);
    assert.equal(attemptsPerEvent(1, true, 11), 11);
    const flaky = { ...NO_FAULTS, errorRatio: 0.5 };
    const b = concurrencyBudget(settings({ maxAttempts: 3 }), [demand({ retry: true, receiver: flaky })]);
    assert.equal(b.profiles[0].attemptsPerEvent, 1.75);
    assert.equal(Number(b.offered.toFixed(6)), Number(((10 * 1.75 * 5) / 1000).toFixed(6)));
  });

  it("takes the mean of each latency form as the mock samples it", () => {
    const sampledMean = (form: string): number => {
      const s = parseLatency("L", form);
      const r = seeded(3);
      let sum = 0;
      for (let i = 0; i < 50_000; i++) sum += s?.(r) ?? 0;
      return sum / 50_000;
    };
    assert.equal(latencyMeanMs("L", "none"), 0);
    assert.equal(latencyMeanMs("L", "fixed:50ms"), 50);
    assert.equal(latencyMeanMs("L", "uniform:10ms,30ms"), 20);
    // Clamped at 0: a wide normal's mean is above its MEAN.
    for (const form of ["normal:50ms,10ms", "normal:10ms,20ms", "longtail:20ms,200ms"]) {
      const exact = latencyMeanMs("L", form);
      const sampled = sampledMean(form);
      assert.ok(Math.abs(exact - sampled) / exact < 0.03, `${form}: ${exact} vs sampled ${sampled}`);
    }
    // 10 Φ(0.5) + 20 φ(0.5) = 13.96.
    assert.equal(latencyMeanMs("L", "normal:10ms,20ms").toFixed(2), "13.96");
  });

  it("holds timeouts for their hold and resets for nothing; the rest get the latency", () => {
    const c = { ...NO_FAULTS, latency: "fixed:20ms", timeoutRatio: 0.1, timeoutHoldMs: 1000, resetRatio: 0.1 };
    assert.equal(Number(meanAnswerMs(c).toFixed(6)), 0.8 * 20 + 0.1 * 1000);
    assert.equal(new Faults(c).config, c);
  });

  it("reads its settings: no budget unless OUTPOST_DELIVERY_CONCURRENCY is set", () => {
    const none = readThroughputSettings({}).budget;
    assert.deepEqual(none, { deliveryConcurrency: null, tolerance: 0.8, check: true, overheadMs: 10, maxAttempts: 11 });
    const set = readThroughputSettings({
      OUTPOST_DELIVERY_CONCURRENCY: "200",
      BUDGET_TOLERANCE: "1.2",
      BUDGET_CHECK: "off",
      BUDGET_DELIVERY_OVERHEAD: "3ms",
      OUTPOST_MAX_ATTEMPTS: "4",
    }).budget;
    assert.deepEqual(set, { deliveryConcurrency: 200, tolerance: 1.2, check: false, overheadMs: 3, maxAttempts: 4 });
    for (const [name, value] of [
      ["OUTPOST_DELIVERY_CONCURRENCY", "0"],
      ["BUDGET_TOLERANCE", "0"],
      ["BUDGET_CHECK", "maybe"],
      ["BUDGET_DELIVERY_OVERHEAD", "soon"],
      ["OUTPOST_MAX_ATTEMPTS", "0"],
    ]) {
      const msg = configErrorOf(() => readThroughputSettings({ [name]: value }));
      assert.ok(msg.startsWith(`${name}="${value}" is invalid: expected`), msg);
    }
  });
});
