import type { Clock } from "../../src/ports";

// k6's Date.now() has millisecond resolution, the precision of t0 and t2.
export const k6Clock: Clock = { now: () => Date.now() };
