import type { Clock } from "../ports";
import type { RunRecord } from "../runstate/record";
import type { RunStateStore } from "../runstate/store";

// Resolves after about ms milliseconds. In k6 a blocking sleep is fine: verify
// awaits every Redis call before it sleeps, so nothing is pending meanwhile.
export type Sleep = (ms: number) => Promise<void>;

export type WaitOutcome = "complete" | "grace" | "timeout";

export interface WaitResult {
  outcome: WaitOutcome;
  expected: number;
  delivered: number;
  waitedMs: number;
  polls: number;
}

export interface WaitOptions {
  graceMs: number;
  timeoutMs: number;
  pollIntervalMs: number;
  onPoll?: (progress: { expected: number; delivered: number; waitedMs: number }) => void;
}

// Polls two cheap counters per interval (never per event) until every expected
// delivery arrived after throughput recorded the end of the run, nothing new
// arrived for graceMs, or timeoutMs passed. "New" is any change in either
// counter: accepts still landing from a running throughput count as activity
// too. Before the run's end, "everything accepted so far is delivered" is not
// completion: more publishes may follow.
export async function waitForDeliveries(
  store: RunStateStore,
  record: RunRecord,
  opts: WaitOptions,
  clock: Clock,
  sleep: Sleep,
): Promise<WaitResult> {
  const start = clock.now();
  let lastChange = start;
  let last = { expected: -1, delivered: -1 };
  for (let polls = 1; ; polls++) {
    const p = await store.progress(record);
    const ended = (await store.runEnd()).endedAtMs !== null;
    const now = clock.now();
    const waitedMs = now - start;
    opts.onPoll?.({ ...p, waitedMs });
    if (p.expected !== last.expected || p.delivered !== last.delivered) lastChange = now;
    last = p;
    const result = (outcome: WaitOutcome): WaitResult => ({ outcome, ...p, waitedMs, polls });
    if (ended && p.delivered >= p.expected) return result("complete");
    if (now - lastChange >= opts.graceMs && polls > 1) return result("grace");
    if (waitedMs >= opts.timeoutMs) return result("timeout");
    const untilGrace = lastChange + opts.graceMs - now;
    const untilTimeout = start + opts.timeoutMs - now;
    await sleep(Math.max(0, Math.min(opts.pollIntervalMs, untilGrace, untilTimeout)));
  }
}
