import type { Preset } from "../../src/config/presets";
import baseline from "./baseline.json";
import fanOut from "./fan-out.json";
import highLoad from "./high-load.json";
import mixed from "./mixed.json";
import smoke from "./smoke.json";
import soak from "./soak.json";
import spike from "./spike.json";
import step from "./step.json";

// Every preset bundled into the scenarios; the key is the PRESET value and the
// file name (test/unit/presets.test.ts checks that each JSON file is listed).
export const PRESETS: Record<string, Preset> = {
  baseline,
  "fan-out": fanOut,
  "high-load": highLoad,
  mixed,
  smoke,
  soak,
  spike,
  step,
};
