import { strict as assert } from "node:assert";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/config/env";
import { applyPreset, settingsFromEnv } from "../../src/config/presets";
import { readThroughputSettings } from "../../src/config/throughput-settings";
import { PRESETS } from "../../scenarios/presets/index";

const PRESET_DIR = join(__dirname, "../../scenarios/presets");

describe("presets", () => {
  it("bundles every JSON file of scenarios/presets under its file name", () => {
    const files = readdirSync(PRESET_DIR)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.replace(/\.json$/, ""))
      .sort();
    assert.deepEqual(Object.keys(PRESETS).sort(), files);
    for (const required of ["smoke", "baseline", "high-load", "soak", "fan-out"])
      assert.ok(files.includes(required), required);
  });

  for (const name of Object.keys(PRESETS)) {
    it(`${name} is a valid configuration with a description`, () => {
      assert.ok(PRESETS[name].description.length > 10);
      const applied = applyPreset({ PRESET: name }, PRESETS);
      const s = readThroughputSettings(applied.env, applied.profiles);
      assert.equal(s.preset, name);
    });
  }

  it("environment variables override the preset, empty ones do not", () => {
    const { env, preset } = applyPreset({ PRESET: "baseline", RATE: "7", TENANTS: "" }, PRESETS);
    assert.equal(preset, "baseline");
    const s = readThroughputSettings(env);
    assert.equal(s.profiles[0].load.rate, 7);
    assert.equal(s.profiles[0].tenants, PRESETS.baseline.env.TENANTS);
    assert.equal(s.profiles[0].load.durationMs, 120_000);
  });

  it("no PRESET leaves the environment as it is", () => {
    const env = { RATE: "3" };
    assert.deepEqual(applyPreset(env, PRESETS), { env, preset: null, profiles: null });
  });

  it("an unknown preset lists the available ones", () => {
    assert.throws(
      () => applyPreset({ PRESET: "huge" }, PRESETS),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message === `PRESET="huge" is invalid: expected one of ${Object.keys(PRESETS).sort().join(", ")}`,
    );
  });

  it("settingsFromEnv keeps a configuration error as one line for setup", () => {
    assert.deepEqual(settingsFromEnv({ PRESET: "smoke", RATE: "fast" }, PRESETS, readThroughputSettings), {
      ok: false,
      error: 'RATE="fast" is invalid: expected an integer from 1 to 100000',
    });
    const ok = settingsFromEnv({ PRESET: "smoke" }, PRESETS, readThroughputSettings);
    assert.ok(ok.ok && ok.settings.profiles[0].load.rate === 5);
  });
});
