import { strict as assert } from "node:assert";
import type { Env } from "../../src/config/env";
import { applyPreset, type Preset, type PresetProfile } from "../../src/config/presets";
import { publicThroughputSettings, readThroughputSettings } from "../../src/config/throughput-settings";
import { plannedEvents } from "../../src/publish/load-profile";
import { publishCounters, shortfall } from "../../src/verify/publish-counters";
import { throughputOptions } from "../../src/publish/throughput-options";
import {
  destinationCount,
  destinationId,
  destinationIndexes,
  eventId,
  layoutProfiles,
  localIndexOfSeq,
  parseEventId,
  profileOfDestination,
  seqOf,
  tenantCount,
  tenantId,
  tenantOfDestination,
  tenantOfSeq,
} from "../../src/runstate/identity";
import { PRESETS } from "../../scenarios/presets/index";
import { configErrorOf } from "../support/config-error";

const layout = layoutProfiles([
  { name: "fanout", tenants: 1, destinationsPerTenant: 5 },
  { name: "steady", tenants: 2, destinationsPerTenant: 1 },
]);
const [fanout, steady] = layout;

describe("traffic profiles: identity and routing", () => {
  it("numbers tenants and destinations across profiles, in order", () => {
    assert.deepEqual(
      layout.map((p) => [p.index, p.firstTenant, p.firstDestination]),
      [
        [0, 0, 0],
        [1, 1, 5],
      ],
    );
    assert.deepEqual([tenantCount(layout), destinationCount(layout)], [3, 7]);
  });

  it("routes (profile, seq) to the profile's own tenants and destinations, a pure function", () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((seq) => tenantOfSeq(steady, seq)),
      [1, 2, 1, 2],
    );
    assert.deepEqual(destinationIndexes(steady, tenantOfSeq(steady, 3)), [6]);
    assert.deepEqual(destinationIndexes(fanout, tenantOfSeq(fanout, 7)), [0, 1, 2, 3, 4]);
    for (const p of layout)
      for (let seq = 0; seq < 20; seq++) {
        const t = tenantOfSeq(p, seq);
        assert.equal(seqOf(p, t, localIndexOfSeq(p, seq)), seq);
        for (const d of destinationIndexes(p, t)) {
          assert.equal(tenantOfDestination(p, d), t);
          assert.equal(profileOfDestination(layout, d)?.name, p.name);
        }
      }
    assert.equal(profileOfDestination(layout, 7), null);
  });

  it("names ids per profile: k6 restarts each scenario's counter at 0 and Outpost dedupes ids across tenants", () => {
    assert.notEqual(eventId("run1", fanout, 0), eventId("run1", steady, 0));
    assert.deepEqual(
      [eventId("run1", steady, 12), tenantId("run1", steady, 2), destinationId("run1", steady, 6)],
      ["run1_steady_12", "run1-steady-t1", "run1-steady-d1"],
    );
    assert.deepEqual(parseEventId("run1_steady_12"), { testId: "run1", profile: "steady", seq: 12 });
    // The unnamed profile of an environment-only run keeps the ids it always had.
    const [only] = layoutProfiles([{ name: "", tenants: 3, destinationsPerTenant: 2 }]);
    assert.deepEqual(
      [eventId("run1", only, 4), tenantId("run1", only, 1), destinationId("run1", only, 5)],
      ["run1_4", "run1-t1", "run1-d5"],
    );
    assert.deepEqual(parseEventId("run1_4"), { testId: "run1", profile: "", seq: 4 });
    for (const bad of ["run1_Steady_1", "run1_a_b_1", "run1_steady_01", "run1_", "_steady_1"])
      assert.equal(parseEventId(bad), null, bad);
  });
});

const PROFILED: Record<string, Preset> = {
  ...PRESETS,
  two: {
    description: "test",
    env: { DURATION: "20s", RATE: 7 },
    profiles: [
      { name: "a", env: { TENANTS: 2, RATE: 30 }, receiver: { latency: "fixed:40ms" } },
      { name: "b", env: { DESTINATIONS_PER_TENANT: 3 } },
    ],
  },
};

const read = (env: Env, presets = PROFILED) => {
  const applied = applyPreset(env, presets);
  return readThroughputSettings(applied.env, applied.profiles);
};

describe("traffic profiles: publish counts", () => {
  it("allows each profile's schedule its one iteration more or fewer before calling publishes never made", () => {
    assert.equal(shortfall(publishCounters({ accepted: 58 }, 60, 2)), 0);
    assert.equal(shortfall(publishCounters({ accepted: 57 }, 60, 2)), 3);
    assert.equal(shortfall(publishCounters({ accepted: 58 }, 60)), 2);
  });
});

describe("traffic profiles: presets", () => {
  it("mixed: a fan-out profile with a 50 ms receiver next to steady traffic with an instant one, each its own scenario", () => {
    const s = read({ PRESET: "mixed" }, PRESETS);
    assert.deepEqual(
      s.profiles.map((p) => [p.name, p.tenants, p.destinationsPerTenant, p.receiver?.latency]),
      [
        ["fanout", 1, 5, "fixed:50ms"],
        ["steady", 2, 1, "none"],
      ],
    );
    const o = throughputOptions(s);
    assert.deepEqual(Object.keys(o.scenarios), ["fanout", "steady"]);
    assert.deepEqual(
      Object.values(o.scenarios).map((sc) => [sc.executor, plannedEvents(sc)]),
      [
        ["constant-arrival-rate", 300],
        ["constant-arrival-rate", 600],
      ],
    );
  });

  it("fills a profile from its own values, then the preset's; the environment wins over both", () => {
    const s = read({ PRESET: "two" });
    assert.deepEqual(
      s.profiles.map((p) => [p.tenants, p.destinationsPerTenant, p.load.rate, p.load.durationMs]),
      [
        [2, 1, 30, 20_000],
        [1, 3, 7, 20_000],
      ],
    );
    // A profile without a receiver gets the mock's own faults.
    assert.deepEqual([s.profiles[0].receiver?.latency, s.profiles[1].receiver], ["fixed:40ms", null]);
    const shorter = read({ PRESET: "two", DURATION: "3s" });
    assert.deepEqual(
      shorter.profiles.map((p) => p.load.durationMs),
      [3000, 3000],
    );
    // VUs follow each profile's own rate.
    assert.deepEqual(
      s.profiles.map((p) => p.load.preAllocatedVUs),
      [15, 10],
    );
    const pub = publicThroughputSettings(s);
    assert.deepEqual([pub["a.RATE"], pub["b.DESTINATIONS_PER_TENANT"], pub.RATE], [30, 3, undefined]);
  });

  const broken = (profile: Record<string, unknown>): Record<string, Preset> => ({
    bad: { description: "test", env: {}, profiles: [{ name: "ok" }, profile as unknown as PresetProfile] },
  });
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a bad name", { name: "Big_Name" }, 'PRESET=bad profile "Big_Name": the name is invalid: expected 1 to 24'],
    ["a taken name", { name: "ok" }, 'PRESET=bad profile "ok": the name is taken'],
    [
      "a run-wide setting",
      { name: "x", env: { WARMUP: "1s" } },
      'PRESET=bad profile "x": WARMUP is not a profile setting: expected one of TENANTS,',
    ],
    [
      "a bad value",
      { name: "x", env: { RATE: "fast" } },
      'PRESET=bad profile "x": RATE="fast" is invalid: expected an integer from 1 to 100000',
    ],
    [
      "an unknown receiver field",
      { name: "x", receiver: { errorRate: 0.1 } },
      'PRESET=bad profile "x": errorRate is not a fault setting: expected one of errorRatio,',
    ],
    [
      "a bad receiver latency",
      { name: "x", receiver: { latency: "slow" } },
      'PRESET=bad profile "x": latency="slow" is invalid: expected none, fixed:D',
    ],
  ];
  for (const [what, profile, start] of cases) {
    it(`refuses ${what} in one line naming the preset, the profile and the setting`, () => {
      const msg = configErrorOf(() => read({ PRESET: "bad" }, broken(profile)));
      assert.ok(msg.startsWith(start), msg);
      assert.ok(!msg.includes("\n"), msg);
    });
  }

  it("refuses a WARMUP not shorter than the shortest profile, naming it", () => {
    const presets: Record<string, Preset> = {
      w: {
        description: "test",
        env: { WARMUP: "5s" },
        profiles: [
          { name: "long", env: { DURATION: "30s" } },
          { name: "short", env: { DURATION: "5s" } },
        ],
      },
    };
    assert.equal(
      configErrorOf(() => read({ PRESET: "w" }, presets)),
      'WARMUP="5s" is invalid: expected a duration shorter than DURATION of profile short (5s)',
    );
  });
});
