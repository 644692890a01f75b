import type { LoadSettings } from "../config/throughput-settings";
import type { LatencyWindowPlan } from "../runstate/latency-windows";
import { stepPlan } from "./load-profile";

// 10 s windows, longer for long runs so a run has at most MAX_WINDOWS (the
// window hash stays small: a 24 h soak gets 4-minute windows).
export const BASE_WINDOW_MS = 10_000;
export const MAX_WINDOWS = 360;

// With the step profile the windows divide each step evenly, none shorter than
// the base unless the step is (30 s steps: three 10 s windows; 25 s steps: two
// of 12.5 s), so per-step figures are windows added up, never a window split
// between two rates. The windows hold every traffic profile's samples; steps
// only when there is one profile (several have several schedules).
export function latencyWindowPlan(loads: LoadSettings[]): LatencyWindowPlan {
  const durationMs = Math.max(...loads.map((l) => l.durationMs));
  const base = Math.max(BASE_WINDOW_MS, Math.ceil(durationMs / MAX_WINDOWS / 1000) * 1000);
  const [l] = loads;
  if (loads.length > 1 || l.profile !== "step") return { windowMs: base, steps: [] };
  const steps = stepPlan(l);
  const stepMs = steps[0].endMs - steps[0].startMs;
  return { windowMs: stepMs / Math.max(1, Math.floor(stepMs / base)), steps };
}
