import { strict as assert } from "node:assert";
import { type CapacityStep, capacityStepOf, lostCapacityStep } from "../../src/capacity/capacity-step";
import { analyseSteps, backlogGrew, isDeliveryQueue, stageGrewFirst } from "../../src/capacity/knee";
import { readCapacitySettings } from "../../src/config/capacity-settings";
import type { ResourceSeries } from "../../src/resources/prometheus-resources";
import type { Stage } from "../../src/runstate/keys";
import { lostRunReport } from "../../src/verify/lost-run";
import type { VerifyReport } from "../../src/verify/report";
import type { Outcome } from "../../src/verify/verdict";
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
      generator_lag: latency("generator_lag"),
      publish: latency("publish"),
      queue: latency("queue"),
      delivery: latency("delivery"),
      e2e: latency("e2e"),
      receiver: latency("receiver"),
    },
    outcome: reasons.length === 0 ? "PASS" : "FAIL",
    reasons,
    held: reasons.length === 0,
    startMs: 0,
    endMs: 20_000,
    resources,
  };
}

function series(query: string, name: string, stats: { mean?: number; depths?: number[] }): ResourceSeries {
  const points = (stats.depths ?? []).map((v, i): [number, number] => [i * 5, v]);
  return {
    query,
    title: query,
    unit: "cores",
    name,
    points,
    mean: stats.mean ?? 0,
    max: stats.mean ?? 0,
    first: points[0]?.[1] ?? 0,
    last: points[points.length - 1]?.[1] ?? 0,
  };
}

// The parts of a passing verify report that a capacity step reads: 2000 events
// over 20 s, all delivered, the last delivery in the run's 20th second.
function verifyReportStub(outcome: Outcome = "PASS", reasons: string[] = []): VerifyReport {
  const stage = { count: 2000, meanMs: 5, minMs: 1, p50Ms: 5, p90Ms: 8, p95Ms: 9, p99Ms: 10, maxMs: 12, belowZero: 0 };
  const startedAtMs = 1_700_000_000_000;
  return {
    testId: "cap-stub",
    run: { startedAtMs },
    outcome,
    verdict: { outcome, pass: outcome === "PASS", void: outcome === "VOID", checks: [], reasons },
    ledger: { totals: { accepted: 2000, delivered: 2000, missing: 0, inFlight: 0 }, deliveredRatio: 1 },
    latency: {
      stages: { generator_lag: stage, publish: stage, queue: stage, delivery: stage, e2e: stage, receiver: stage },
    },
    throughput: { delivered: { lastSecond: startedAtMs / 1000 + 19 } },
  } as unknown as VerifyReport;
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

  it("names the component stage whose p99 first doubled (and grew by 5 ms or more), the one that grew most there", () => {
    const g = stageGrewFirst([
      step(50, { publish: 3, queue: 0.4, delivery: 2, e2e: 20 }),
      step(100, { publish: 4, queue: 3, delivery: 4.5, e2e: 25 }),
      step(150, { publish: 9, queue: 35, delivery: 3, e2e: 45 }),
      step(200, { publish: 20, queue: 200, delivery: 3, e2e: 230 }),
    ]);
    // At 100/s delivery doubled but by 2.5 ms and queue by 2.6 ms: noise. At 150/s publish
    // tripled (+6 ms) and queue went from 0.4 ms (counted as 1) to 35 ms: queue, the larger;
    // e2e grows with any of them and is not a candidate while the components are measured.
    assert.deepEqual(g, { stage: "queue", atRate: 150, baselineRate: 50, baselineP99Ms: 0.4, p99Ms: 35, factor: 35 });
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
          series("queue_depth", "outpost-delivery", { depths: [10, 40, 25, 80] }),
        ],
      ),
      step(
        150,
        {},
        ["lost"],
        [
          // The log queue fills and drains in batches: never a finding, however deep.
          series("queue_depth", "outpost-log", { depths: [100, 600, 900, 1200, 1500, 1800] }),
          series("queue_depth", "outpost-delivery", { depths: [100, 180, 300, 420, 650, 900] }),
        ],
      ),
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

  it("counts a delivery queue as saturated only when it kept growing through the step", () => {
    assert.equal(
      backlogGrew([
        [0, 100],
        [5, 180],
        [10, 300],
        [15, 420],
        [20, 650],
        [25, 900],
      ]),
      true,
    );
    // Up and down (a burst drained), or growing by less than 100 messages: not a backlog.
    assert.equal(
      backlogGrew([
        [0, 100],
        [5, 700],
        [10, 50],
        [15, 300],
        [20, 650],
        [25, 600],
      ]),
      false,
    );
    assert.equal(
      backlogGrew([
        [0, 10],
        [5, 20],
        [10, 30],
        [15, 40],
        [20, 50],
        [25, 60],
      ]),
      false,
    );
    assert.deepEqual(["outpost-delivery", "outpost-delivery.dlq", "outpost-log"].map(isDeliveryQueue), [
      true,
      false,
      false,
    ]);
  });

  it("holds a step with a few iterations dropped while k6 starts VUs, not with more than 1%", () => {
    const report = (dropped: number) => capacityStepOf(100, verifyReportStub(), dropped, 20_000);
    assert.deepEqual([report(20).held, report(20).reasons], [true, []]);
    assert.deepEqual(report(21).reasons, ["k6 dropped 21 of 2000 iterations (more than 1%): the rate was not offered"]);
  });

  it("holds a step only when verify's outcome is PASS: INCOMPLETE and VOID do not hold", () => {
    const cut = "INCOMPLETE run: cut short: 1200 of 2000 planned events published";
    const incomplete = capacityStepOf(100, verifyReportStub("INCOMPLETE", [cut]), 0, 20_000);
    assert.deepEqual([incomplete.outcome, incomplete.held, incomplete.reasons], ["INCOMPLETE", false, [cut]]);
    const lost = lostRunReport("cap-lost", ["pub", "acc:0"], 1_700_000_030_000);
    const v = lostCapacityStep(100, lost, 0, 1_700_000_000_000, 20_000);
    assert.deepEqual([v.outcome, v.held, v.reasons, v.accepted], ["VOID", false, lost.verdict.reasons, 0]);
    assert.equal(analyseSteps([step(50, {}), v], 2).knee?.offeredPerSecond, 50);
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
