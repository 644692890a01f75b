import { strict as assert } from "node:assert";
import { type ClockSources, WallClock } from "../../mock-webhook/wall-clock";

// A simulated host: a monotonic clock that advances 0.3 µs per reading (the
// cost of reading it) and a wall clock that is the true time floored to the
// millisecond, as Date.now() is. step() moves the wall clock only. now() tells
// the time of its call, before any resync spin: offBy compares it with the
// true time at that moment.
function host(
  offsetMs: number,
): ClockSources & { trueWallMs(): number; step(ms: number): void; idle(ms: number): void } {
  let mono = 5_000.123;
  let offset = offsetMs;
  return {
    monotonicMs: () => {
      mono += 0.0003;
      return mono;
    },
    wallMs: () => Math.floor(mono + offset),
    trueWallMs: () => mono + offset,
    step: (ms) => {
      offset += ms;
    },
    idle: (ms) => {
      mono += ms;
    },
  };
}

function offBy(clock: WallClock, h: ReturnType<typeof host>): number {
  const truth = h.trueWallMs();
  return clock.now() - truth;
}

describe("mock webhook: t3 wall clock", () => {
  const offset = 1_700_000_000_000.4375;

  it("has sub-millisecond precision though the wall clock it follows has whole milliseconds", () => {
    const h = host(offset);
    const clock = new WallClock(h, 10_000);
    for (let i = 0; i < 50; i++) {
      h.idle(0.0731 * i);
      const off = offBy(clock, h);
      assert.ok(Math.abs(off) < 0.002, `off by ${off} ms`);
    }
  });

  it("follows a step of the wall clock at the next resync, where an origin fixed at start keeps the error", () => {
    const h = host(offset);
    const clock = new WallClock(h, 10_000);
    const fixedOrigin = h.trueWallMs() - h.monotonicMs(); // what performance.timeOrigin amounts to
    clock.now();
    h.step(250); // e.g. an NTP step or a resumed VM
    h.idle(1_000);
    assert.ok(Math.abs(offBy(clock, h) + 250) < 0.002, "until the resync, the old anchor holds");
    h.idle(9_500);
    assert.ok(Math.abs(offBy(clock, h)) < 0.002, "after the resync it is exact again");
    assert.ok(
      Math.abs(h.monotonicMs() + fixedOrigin - h.trueWallMs() + 250) < 0.002,
      "a fixed origin stays 250 ms off",
    );
    h.step(-40);
    h.idle(10_000);
    assert.ok(Math.abs(offBy(clock, h)) < 0.002, "backward steps too");
  });

  it("is not misled by a pause between reading the wall clock and the monotonic one (a preempted process)", () => {
    // The process is paused for 1.7 ms right after its second wall reading of the
    // first anchoring, across a tick of the wall clock: the monotonic reading that
    // follows comes after that tick, so it cannot bound it from below.
    const h = host(offset);
    let walls = 0;
    let pauseNext = false;
    const paused: ClockSources = {
      wallMs: () => {
        walls++;
        if (walls === 2) pauseNext = true;
        return h.wallMs();
      },
      monotonicMs: () => {
        if (pauseNext) {
          pauseNext = false;
          h.idle(1.7);
        }
        return h.monotonicMs();
      },
    };
    const clock = new WallClock(paused, 10_000);
    clock.now();
    assert.equal(walls > 2, true);
    const off = offBy(clock, h);
    assert.ok(Math.abs(off) < 0.002, `off by ${off} ms`);
  });

  it("does not hang on a wall clock that never ticks", () => {
    let mono = 0;
    const frozen: ClockSources = {
      monotonicMs: () => {
        mono += 0.001;
        return mono;
      },
      wallMs: () => 1_700_000_000_000,
    };
    const t = new WallClock(frozen, 10_000).now();
    assert.ok(mono < 10, `spun ${mono} ms`);
    assert.ok(Math.abs(t - 1_700_000_000_000) < 10);
  });
});
