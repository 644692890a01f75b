import { strict as assert } from "node:assert";
import { parseDurationMs } from "../../src/config/env";
import { readThroughputSettings } from "../../src/config/throughput-settings";
import { latencyWindowPlan } from "../../src/publish/latency-window-plan";
import { plannedEvents, type RampingArrivalRate, scenarioForLoad } from "../../src/publish/load-profile";
import { throughputOptions } from "../../src/publish/throughput-options";

function ramping(env: Record<string, string>): RampingArrivalRate {
  const s = scenarioForLoad(readThroughputSettings(env).profiles[0].load);
  assert.equal(s.executor, "ramping-arrival-rate");
  return s as RampingArrivalRate;
}

const totalMs = (s: RampingArrivalRate): number =>
  s.stages.reduce((sum, st) => sum + (parseDurationMs(st.duration) ?? NaN), 0);

describe("load profiles to k6 scenarios", () => {
  it("constant: constant-arrival-rate at RATE for DURATION", () => {
    const s = scenarioForLoad(
      readThroughputSettings({ RATE: "250", DURATION: "2m", PRE_ALLOCATED_VUS: "30", MAX_VUS: "60" }).profiles[0].load,
    );
    assert.deepEqual(s, {
      executor: "constant-arrival-rate",
      timeUnit: "1s",
      rate: 250,
      duration: "2m",
      preAllocatedVUs: 30,
      maxVUs: 60,
      gracefulStop: "30s",
    });
    assert.equal(plannedEvents(s), 30_000);
  });

  it("ramp: START_RATE to RATE over RAMP_UP, then hold", () => {
    const s = ramping({ PROFILE: "ramp", START_RATE: "10", RATE: "100", RAMP_UP: "20s", DURATION: "1m" });
    assert.equal(s.startRate, 10);
    assert.deepEqual(s.stages, [
      { duration: "20s", target: 100 },
      { duration: "40s", target: 100 },
    ]);
    assert.equal(plannedEvents(s), 1100 + 4000);
  });

  it("ramp: RAMP_UP defaults to half of DURATION; equal to DURATION leaves no hold stage", () => {
    assert.deepEqual(ramping({ PROFILE: "ramp", RATE: "50", DURATION: "1m" }).stages, [
      { duration: "30s", target: 50 },
      { duration: "30s", target: 50 },
    ]);
    assert.deepEqual(ramping({ PROFILE: "ramp", RATE: "50", DURATION: "1m", RAMP_UP: "1m" }).stages, [
      { duration: "1m", target: 50 },
    ]);
  });

  it("soak: a ramp-in over the first tenth, then RATE", () => {
    const s = ramping({ PROFILE: "soak", RATE: "200", DURATION: "1h" });
    assert.deepEqual(s.stages, [
      { duration: "6m", target: 200 },
      { duration: "54m", target: 200 },
    ]);
  });

  it("spike: RATE, 1s edge, SPIKE_RATE for SPIKE_DURATION centred, 1s edge, RATE", () => {
    const s = ramping({ PROFILE: "spike", RATE: "100", SPIKE_RATE: "1000", SPIKE_DURATION: "30s", DURATION: "3m" });
    assert.equal(s.startRate, 100);
    assert.deepEqual(s.stages, [
      { duration: "74s", target: 100 },
      { duration: "1s", target: 1000 },
      { duration: "30s", target: 1000 },
      { duration: "1s", target: 100 },
      { duration: "74s", target: 100 },
    ]);
    assert.equal(totalMs(s), 180_000);
  });

  it("step: STEPS equal plateaus up to RATE, totalling DURATION exactly", () => {
    const s = ramping({ PROFILE: "step", RATE: "1000", STEPS: "3", DURATION: "10s" });
    assert.equal(s.startRate, 333);
    assert.deepEqual(s.stages, [
      { duration: "3333ms", target: 333 },
      { duration: "1s", target: 667 },
      { duration: "2333ms", target: 667 },
      { duration: "1s", target: 1000 },
      { duration: "2334ms", target: 1000 },
    ]);
    assert.equal(totalMs(s), 10_000);
  });

  for (const profile of ["ramp", "spike", "soak", "step"]) {
    it(`${profile}: stages add up to DURATION for awkward durations`, () => {
      for (const d of ["7s", "61s", "1h1m", "12345ms"])
        assert.equal(totalMs(ramping({ PROFILE: profile, DURATION: d })), parseDurationMs(d), d);
    });
  }
});

describe("throughput options", () => {
  it("turns threshold settings into k6 thresholds; dropped iterations fail by default", () => {
    const o = throughputOptions(readThroughputSettings({}));
    assert.deepEqual(o.thresholds, {
      publish_latency: ["p(95)<1000"],
      publish_rejected: ["count<=0"],
      publish_duplicate: ["count<=0"],
      dropped_iterations: ["count<=0"],
      publish_routing_mismatch: ["count==0"],
    });
    assert.equal(o.scenarios.throughput.executor, "constant-arrival-rate");
    assert.equal(o.setupTimeout, "1m");
  });

  it("overrides and switches thresholds off", () => {
    const o = throughputOptions(
      readThroughputSettings({
        THRESHOLD_PUBLISH_P95_MS: "0",
        THRESHOLD_PUBLISH_P99_MS: "250",
        THRESHOLD_MAX_REJECTED: "-1",
        THRESHOLD_MAX_DUPLICATES: "3",
        THRESHOLD_MAX_DROPPED: "-1",
      }),
    );
    assert.deepEqual(o.thresholds, {
      publish_latency: ["p(99)<250"],
      publish_duplicate: ["count<=3"],
      publish_routing_mismatch: ["count==0"],
    });
  });

  it("gives large provisioning a longer setup timeout", () => {
    assert.equal(
      throughputOptions(
        readThroughputSettings({ TENANTS: "1000", DESTINATIONS_PER_TENANT: "20", PROVISION_CONCURRENCY: "8" }),
      ).setupTimeout,
      "2625s",
    );
  });
});

describe("latency window plan", () => {
  const plan = (env: Record<string, string>) => latencyWindowPlan([readThroughputSettings(env).profiles[0].load]);

  it("uses 10 s windows, longer ones for long runs (at most 360 windows)", () => {
    assert.deepEqual(plan({ DURATION: "30s" }), { windowMs: 10_000, steps: [] });
    assert.equal(plan({ PROFILE: "soak", DURATION: "24h" }).windowMs, 240_000);
  });

  it("divides each step evenly, and its steps are the k6 stages' plateaus", () => {
    const p = plan({ PROFILE: "step", RATE: "100", STEPS: "4", DURATION: "100s" });
    assert.equal(p.windowMs, 12_500);
    assert.deepEqual(
      p.steps.map((s) => [s.rate, s.startMs, s.endMs]),
      [
        [25, 0, 25_000],
        [50, 25_000, 50_000],
        [75, 50_000, 75_000],
        [100, 75_000, 100_000],
      ],
    );
    const stages = ramping({ PROFILE: "step", RATE: "100", STEPS: "4", DURATION: "100s" }).stages;
    assert.deepEqual(
      stages.map((s) => s.target),
      [25, 50, 50, 75, 75, 100, 100],
    );
    assert.equal(plan({ PROFILE: "step", RATE: "10", STEPS: "2", DURATION: "10s" }).windowMs, 5_000);
  });
});
