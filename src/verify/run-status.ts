import type { RunRecord } from "../runstate/record";
import type { RunEnd } from "../runstate/store";

// How far a run got, as verify sees it:
// - ended: throughput's teardown recorded the end after the schedule's end;
// - cut_short: a teardown ran before the schedule's end (Ctrl-C, exec.test.abort);
// - in_progress: no end recorded and the planned end plus VERIFY_GRACE has not
//   passed yet: throughput may still be publishing;
// - no_end: no end recorded long after the planned end: throughput was cut
//   short or crashed before its teardown.
export type RunPhase = "ended" | "cut_short" | "in_progress" | "no_end";

export function runPhase(
  record: Pick<RunRecord, "plannedEndMs">,
  end: RunEnd,
  nowMs: number,
  graceMs: number,
): RunPhase {
  if (end.endedAtMs !== null) return end.cutShort > 0 ? "cut_short" : "ended";
  return nowMs < record.plannedEndMs + graceMs ? "in_progress" : "no_end";
}
