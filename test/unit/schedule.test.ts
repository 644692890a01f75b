import { strict as assert } from "node:assert";
import type { ConstantArrivalRate, RampingArrivalRate } from "../../src/publish/load-profile";
import { arrivalOffsetMs } from "../../src/publish/schedule";

const base = { timeUnit: "1s" as const, preAllocatedVUs: 1, maxVUs: 1, gracefulStop: "30s" };

describe("arrival schedule (when k6 starts iteration i)", () => {
  it("constant rate: i / rate, up to the end of the duration", () => {
    const s: ConstantArrivalRate = { ...base, executor: "constant-arrival-rate", rate: 200, duration: "10s" };
    assert.equal(arrivalOffsetMs(s, 0), 0);
    assert.equal(arrivalOffsetMs(s, 1), 5);
    assert.equal(arrivalOffsetMs(s, 1999), 9995);
    assert.equal(arrivalOffsetMs(s, 2000), 10_000);
    assert.equal(arrivalOffsetMs(s, 2001), null);
  });

  it("ramping rate: the instant the area under the curve reaches i + 1 (k6's own example)", () => {
    // lib/executor/ramping_arrival_rate.go: start at 2/s, 5 s at 2/s, then 5 s ramping to 3/s;
    // the first stage holds exactly 10 events at 0.5 s, 1 s … 5 s.
    const s: RampingArrivalRate = {
      ...base,
      executor: "ramping-arrival-rate",
      startRate: 2,
      stages: [
        { duration: "5s", target: 2 },
        { duration: "5s", target: 3 },
      ],
    };
    assert.deepEqual(
      Array.from({ length: 10 }, (_, i) => arrivalOffsetMs(s, i)),
      [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000],
    );
    // The 11th event: 2t + t²/10 = 1 (rate 2/s + t/5 per s², t in s) → t = √110 − 10.
    const eleventh = arrivalOffsetMs(s, 10) as number;
    assert.ok(Math.abs(eleventh - (5000 + (Math.sqrt(110) - 10) * 1000)) < 1e-6, String(eleventh));
    // 12.5 events in the ramp: 22 in all, so the 23rd has no slot.
    assert.ok((arrivalOffsetMs(s, 21) as number) <= 10_000);
    assert.equal(arrivalOffsetMs(s, 22), null);
  });

  it("a ramp from zero starts at the first whole event's area", () => {
    const s: RampingArrivalRate = {
      ...base,
      executor: "ramping-arrival-rate",
      startRate: 0,
      stages: [{ duration: "10s", target: 10 }],
    };
    // rate t/1 s⁻²: area t²/2 = 1 at t = √2 s.
    assert.ok(Math.abs((arrivalOffsetMs(s, 0) as number) - Math.SQRT2 * 1000) < 1e-6);
  });
});
