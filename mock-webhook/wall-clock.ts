// t3, the arrival time of a delivery, as wall-clock epoch milliseconds with
// sub-millisecond precision. Date.now() has whole milliseconds only, and
// `performance.timeOrigin + performance.now()` is fixed to the wall clock once,
// at process start: every later step of the wall clock (an NTP step, a VM
// resumed or migrated, a manual set) stays in it as an error for the rest of
// the process. So this clock reads the monotonic clock and re-anchors it to
// the wall clock every RESYNC_MS.
//
// Anchoring: spin until Date.now() moves to the next millisecond; at that
// instant the wall clock is exactly that integer, and the monotonic readings
// just before the last wall reading that had not moved and just after the one
// that had bracket it, so the offset between the clocks is
// known to within that bracket (about a microsecond), not the up-to-1-ms of one
// Date.now() reading. A bracket wider than MAX_BRACKET_MS (the process was
// preempted mid-reading) is thrown away and the next tick used. The spin costs
// about 1 ms of CPU per resync (0.01% of a core at the default period).

export interface ClockSources {
  // Whole epoch milliseconds, as Date.now().
  wallMs(): number;
  // A monotonic clock in fractional milliseconds.
  monotonicMs(): number;
}

export const NODE_CLOCK_SOURCES: ClockSources = {
  wallMs: () => Date.now(),
  monotonicMs: () => Number(process.hrtime.bigint()) / 1e6,
};

export const RESYNC_MS = 10_000;
// A wall clock that does not tick (a frozen or faked clock) must not hang the mock.
const MAX_SPIN_MS = 5;
const MAX_BRACKET_MS = 0.005;

export class WallClock {
  private offsetMs = 0;
  private syncedAtMs = -Infinity;

  constructor(
    private readonly sources: ClockSources = NODE_CLOCK_SOURCES,
    private readonly resyncMs: number = RESYNC_MS,
  ) {}

  now(): number {
    const mono = this.sources.monotonicMs();
    if (mono - this.syncedAtMs >= this.resyncMs) this.sync();
    return mono + this.offsetMs;
  }

  private sync(): void {
    const { wallMs, monotonicMs } = this.sources;
    const started = monotonicMs();
    let best = { bracket: Infinity, offset: wallMs() - started };
    // Readings alternate: monotonic `before`, wall `wall`, monotonic `between`,
    // wall `next`, monotonic `after`. A change from `wall` to `next` ticked after
    // `wall` was read and before `next` was: after `before` and before `after`.
    // Not after `between`: the process may have been paused between reading
    // `wall` and `between`, with the tick inside the pause.
    let before = monotonicMs();
    let wall = wallMs();
    let between = monotonicMs();
    while (best.bracket > MAX_BRACKET_MS && between - started < MAX_SPIN_MS) {
      const next = wallMs();
      const after = monotonicMs();
      if (next !== wall && after - before < best.bracket)
        best = { bracket: after - before, offset: next - (before + after) / 2 };
      wall = next;
      before = between;
      between = after;
    }
    this.offsetMs = best.offset;
    this.syncedAtMs = between;
  }
}
