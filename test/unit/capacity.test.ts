import { strict as assert } from "node:assert";
import type { CapacityStep } from "../../src/capacity/capacity-step";
import { analyseSteps, stageGrewFirst } from "../../src/capacity/knee";
import { readCapacitySettings } from "../../src/config/capacity-settings";
import type { ResourceSeries } from "../../src/resources/prometheus-resources";
import type { Stage } from "../../src/runstate/keys";
import { configErrorOf } from "../support/config-error";

// A step at `rate` whose p99s are given (ms), held unless reasons are given.
function step(
  rate: number,
  p99: Partial<Record<Stage, number>>,
  reasons: string[] = [],
  resources: ResourceSeries[] = [],
): CapacityStep {
  const latency = (stage: Stage) => ({ samples: 100, p50Ms: (p99[stage] ?? 1) / 2, p99Ms: p99[stage] ?? 1 });
  return {
    testId: `t-${rate}`,
    offeredPerSecond: rate,
    publishedPerSecond: rate,
    deliveredPerSecond: rate,
    droppedIterations: 0,
    accepted: rate * 20,
    delivered: rate * 20,
    missing: 0,
    inFlight: 0,
    deliveredRatio: 1,
    latency: {
      publish: latency("publish"),
      queue: latency("queue"),
      delivery: latency("delivery"),
      e2e: latency("e2e"),
    },
    verdictPass: reasons.length === 0,
    reasons,
    held: reasons.length === 0,
    startMs: 0,
    endMs: 20_000,
    resources,
  };
}

function series(query: string, name: string, stats: { mean?: number; first?: number; last?: number }): ResourceSeries {
  return {
    query,
    title: query,
    unit: "cores",
    name,
    points: [],
    mean: stats.mean ?? 0,
    max: stats.mean ?? 0,
    first: stats.first ?? 0,
    last: stats.last ?? 0,
  };
}

describe("capacity search analysis", () => {
  it("the knee is the highest step before the first that did not hold", () => {
    const f = analyseSteps(
      [
        step(50, { e2e: 20 }),
        step(100, { e2e: 30 }),
        step(150, { e2e: 90 }),
        step(200, { e2e: 700 }, ["e2e p99 700 ms"]),
      ],
      2,
    );
    assert.equal(f.knee?.offeredPerSecond, 150);
    assert.equal(f.firstFailure?.offeredPerSecond, 200);
    assert.equal(analyseSteps([step(50, {}, ["missing"])], 2).knee, null);
    assert.equal(analyseSteps([step(50, {}), step(100, {})], 2).firstFailure, null);
  });

  it("names the stage whose p99 first doubled (and grew by 5 ms or more), with the largest factor at that step", () => {
    const g = stageGrewFirst([
      step(50, { queue: 10, delivery: 2, e2e: 20 }),
      step(100, { queue: 14, delivery: 4.5, e2e: 25 }),
      step(150, { queue: 35, delivery: 3, e2e: 45 }),
      step(200, { queue: 200, delivery: 3, e2e: 230 }),
    ]);
    // delivery went 2 -> 4.5 ms at 100/s: 2.25x but only 2.5 ms, noise; queue 3.5x at 150/s beats e2e's 2.25x.
    assert.deepEqual(g, { stage: "queue", atRate: 150, baselineRate: 50, baselineP99Ms: 10, p99Ms: 35, factor: 3.5 });
    assert.equal(stageGrewFirst([step(50, { e2e: 20 }), step(100, { e2e: 30 })]), null);
  });

  it("finds the resource that saturated first: a CPU at 90% of its ceiling, or a growing queue", () => {
    const steps = [
      step(
        50,
        {},
        [],
        [series("process_cpu", "outpost-server", { mean: 0.4 }), series("process_cpu", "outpost-redis", { mean: 0.3 })],
      ),
      step(
        100,
        {},
        [],
        [
          series("process_cpu", "outpost-server", { mean: 1.7 }),
          // Redis is single-threaded: 0.92 of its one core is saturation.
          series("process_cpu", "outpost-redis", { mean: 0.92 }),
          series("queue_depth", "outpost-delivery", { first: 10, last: 80 }),
        ],
      ),
      step(150, {}, ["lost"], [series("queue_depth", "outpost-delivery", { first: 100, last: 900 })]),
    ];
    const f = analyseSteps(steps, 2);
    assert.deepEqual(
      f.saturatedFirst.map((s) => [s.atRate, s.series, s.detail]),
      [[100, "outpost-redis", "0.92 of 1 core(s) on average"]],
    );
    const later = analyseSteps(steps.slice(2), 2).saturatedFirst;
    assert.deepEqual(
      later.map((s) => [s.atRate, s.series, s.detail]),
      [[150, "outpost-delivery", "grew from 100 to 900 messages during the step"]],
    );
  });

  it("reads the search: rates from START by STEP up to MAX, the SLO required", () => {
    const s = readCapacitySettings({
      CAPACITY_START: "50",
      CAPACITY_STEP: "25",
      CAPACITY_MAX: "130",
      VERIFY_MAX_E2E_P99_MS: "400",
    });
    assert.deepEqual([s.rates, s.stepDurationMs, s.sloE2eP99Ms], [[50, 75, 100, 125], 20_000, 400]);
    const base = { CAPACITY_MAX: "100", VERIFY_MAX_E2E_P99_MS: "400" };
    assert.match(
      configErrorOf(() => readCapacitySettings({ VERIFY_MAX_E2E_P99_MS: "400" })),
      /^CAPACITY_MAX is required: /,
    );
    assert.match(
      configErrorOf(() => readCapacitySettings({ CAPACITY_MAX: "100" })),
      /^VERIFY_MAX_E2E_P99_MS is required for capacity: expected the SLO each step must hold, in ms \(e\.g\. 500\)$/,
    );
    assert.match(
      configErrorOf(() => readCapacitySettings({ ...base, VERIFY_MAX_E2E_P99_MS: "fast" })),
      /^VERIFY_MAX_E2E_P99_MS="fast" is invalid: expected a number from 0 to 86400000$/,
    );
    assert.match(
      configErrorOf(() => readCapacitySettings({ ...base, CAPACITY_START: "200" })),
      /^CAPACITY_MAX="100" is invalid: expected an integer from 200 to 100000$/,
    );
    assert.match(
      configErrorOf(() => readCapacitySettings({ ...base, CAPACITY_START: "1", CAPACITY_STEP: "1" })),
      /^CAPACITY_STEP="1" is invalid: expected a step that reaches CAPACITY_MAX=100 from CAPACITY_START=1 in at most 50 steps \(at least 2\)$/,
    );
    assert.match(
      configErrorOf(() => readCapacitySettings({ ...base, CAPACITY_STEP_DURATION: "1s" })),
      /^CAPACITY_STEP_DURATION="1s" is invalid: expected a duration like 500ms, 30s, 5m or 1h30m between 5s and 1h$/,
    );
  });
});
