import { parseDurationMs } from "../config/env";
import type { ArrivalRateScenario } from "./load-profile";

// Durations parsed once: the offset is computed in every iteration, and k6's
// interpreter makes a regular expression per call costly.
const parsedMs = new Map<string, number>();
function ms(duration: string): number {
  let v = parsedMs.get(duration);
  if (v === undefined) {
    v = parseDurationMs(duration) ?? 0;
    parsedMs.set(duration, v);
  }
  return v;
}

// When k6's arrival-rate executor schedules iteration `index` (0-based, across
// all instances), in ms after the scenario starts, computed as k6 v1.1.0 does
// (lib/executor/constant_arrival_rate.go: index × timeUnit/rate;
// lib/executor/ramping_arrival_rate.go `cal`: the instant the area under the
// rate curve reaches index + 1). null past the end of the schedule: k6 may
// start one iteration more than the curve's area.
//
// k6 numbers only the iterations it starts (`exec.scenario.iterationInTest`
// comes from nextIterationCounters, lib/executor/base_executor.go, called as
// an iteration begins): a dropped iteration takes no number, so from the first
// drop on, index i runs in a later slot than i's. The offset is then early by
// the drops so far, and generator lag and end-to-end latency overstate by as
// much; verify says so when publishes fall short of the plan.
export function arrivalOffsetMs(s: ArrivalRateScenario, index: number): number | null {
  if (s.executor === "constant-arrival-rate") {
    const offset = (index * 1000) / s.rate;
    // k6 starts the iteration due at exactly the end too (one more than the plan).
    return offset <= ms(s.duration) ? offset : null;
  }
  const area = index + 1;
  let from = s.startRate / 1000;
  let done = 0;
  let stageStart = 0;
  for (const stage of s.stages) {
    const to = stage.target / 1000;
    const duration = ms(stage.duration);
    const end = done + duration * ((to - from) / 2 + from);
    if (area <= end) {
      // Solve from·t + (to − from)·t² / (2·duration) = area − done for t, as k6 does.
      const t =
        from === to
          ? (area - done) / to
          : (from * duration -
              Math.sqrt(Math.max(0, duration * (from * from * duration + 2 * (area - done) * (to - from))))) /
            (from - to);
      return stageStart + t;
    }
    done = end;
    from = to;
    stageStart += duration;
  }
  return null;
}
