import { strict as assert } from "node:assert";
import { WINDOW_RELATIVE_PRECISION } from "../../src/runstate/histogram";
import { RunStateStore } from "../../src/runstate/store";
import { readLatencyOverTime } from "../../src/verify/latency-over-time";
import { readThroughput } from "../../src/verify/throughput";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";

const near = (actual: number | null, expected: number): boolean =>
  actual !== null && Math.abs(actual - expected) <= expected * WINDOW_RELATIVE_PRECISION + 1;

// Through the real PUBLISHES and RECEIPTS scripts: every sample also lands
// in the window of its event's t0, and verify reads per-window and per-step percentiles.
describe("latency over time (run-state windows)", () => {
  const live = withRedis();

  it("puts each event's samples in the window of its start and keeps empty windows between", async () => {
    // 400 events 100 ms apart = 40 s: four 10 s windows; queue 10 ms in the first
    // two, 100 ms in the last two; seqs 200-299 (window 2) are never delivered.
    const rec = testRunRecord("lot-windows", 1, 2);
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    await publishAndDeliver(store, rec, 400, {
      spacingMs: 100,
      skip: (seq) => seq >= 200 && seq < 300,
      timing: (seq) => ({ publishMs: 4, queueMs: seq < 200 ? 10 : 100, deliveryMs: 3 }),
    });
    const o = await readLatencyOverTime(store, rec, (await readThroughput(store, rec)).timeline);
    assert.equal(o.windowMs, 10_000);
    assert.deepEqual(
      o.windows.map((w) => [w.index, w.startMs - rec.startedAtMs, w.stages.publish.count, w.stages.queue.count]),
      [
        [0, 0, 100, 200],
        [1, 10_000, 100, 200],
        [2, 20_000, 100, 0],
        [3, 30_000, 100, 200],
      ],
    );
    assert.ok(near(o.windows[0].stages.queue.p99Ms, 10), String(o.windows[0].stages.queue.p99Ms));
    assert.ok(near(o.windows[3].stages.queue.p50Ms, 100), String(o.windows[3].stages.queue.p50Ms));
    assert.ok(near(o.windows[3].stages.e2e.p50Ms, 107), String(o.windows[3].stages.e2e.p50Ms));
    assert.equal(o.windows[2].stages.e2e.p99Ms, null);
    assert.deepEqual(o.steps, []);
  });

  it("adds the windows of each step of a step profile", async () => {
    // Two 20 s steps of 10 s windows; e2e grows with the step.
    const rec = testRunRecord("lot-steps", 1, 1, {
      latencyWindows: {
        windowMs: 10_000,
        steps: [
          { rate: 5, startMs: 0, endMs: 20_000 },
          { rate: 10, startMs: 20_000, endMs: 40_000 },
        ],
      },
    });
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    await publishAndDeliver(store, rec, 400, {
      spacingMs: 100,
      timing: (seq) => ({ publishMs: 2, queueMs: seq < 200 ? 5 : 50, deliveryMs: 1 }),
    });
    const o = await readLatencyOverTime(store, rec, (await readThroughput(store, rec)).timeline);
    assert.deepEqual(
      o.steps.map((s) => [s.step, s.rate, s.startMs - rec.startedAtMs, s.stages.e2e.count]),
      [
        [1, 5, 0, 200],
        [2, 10, 20_000, 200],
      ],
    );
    assert.ok(near(o.steps[0].stages.e2e.p99Ms, 8));
    assert.ok(near(o.steps[1].stages.e2e.p99Ms, 53));
  });
  it("puts the generator lag of an event started late in the window of its scheduled t0", async () => {
    const rec = testRunRecord("lot-lag", 1, 1);
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    // Due at 9.99 s (window 0), started 30 ms late (in window 1's time), acked 5 ms later.
    const t0Ms = rec.startedAtMs + 9_990;
    await store.recordPublishAccepted(rec, rec.profiles[0], { seq: 0, t0Ms, startedMs: t0Ms + 30, t2Ms: t0Ms + 35 });
    const o = await readLatencyOverTime(store, rec, (await readThroughput(store, rec)).timeline);
    const w0 = o.windows[0].stages;
    assert.deepEqual([w0.generator_lag.count, w0.publish.count], [1, 1]);
    assert.ok(near(w0.generator_lag.p50Ms, 30), String(w0.generator_lag.p50Ms));
    assert.ok(near(w0.publish.p50Ms, 5), String(w0.publish.p50Ms));
  });
});
