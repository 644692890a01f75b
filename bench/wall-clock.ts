// How far t3 clocks stray from the wall clock over time: the mock's WallClock
// (re-anchored every 10 s) against `performance.timeOrigin + performance.now()`
// (anchored once, at process start). Once per second it reads each right after
// Date.now() ticks, the one instant the wall clock's value is exact.
//   npx ts-node --transpile-only bench/wall-clock.ts [seconds]
// To see a wall-clock step (what NTP or a resumed VM does) without touching the
// host's clock, run it under libfaketime with a step file, e.g.
//   echo +0 > /tmp/step; LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
//     FAKETIME_TIMESTAMP_FILE=/tmp/step FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1 \
//     npx ts-node --transpile-only bench/wall-clock.ts 60 &  sleep 20; echo +0.25 > /tmp/step
import { performance } from "node:perf_hooks";
import { WallClock } from "../mock-webhook/wall-clock";

// The error of one clock: read right after a tick, where the true wall time is
// the new integer; the reading can only come late (preemption), so the
// smallest of a few ticks is the clock's own error.
function errorMs(read: () => number): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    let wall = before;
    while (wall === before) wall = Date.now();
    const e = read() - wall;
    if (Math.abs(e) < Math.abs(best)) best = e;
  }
  return best;
}

const clock = new WallClock();
const seconds = Number(process.argv[2] ?? 60);
let worstPerf = 0;
let worstAnchored = 0;
let second = 0;
const timer = setInterval(() => {
  const perf = errorMs(() => performance.timeOrigin + performance.now());
  const anchored = errorMs(() => clock.now());
  worstPerf = Math.max(worstPerf, Math.abs(perf));
  worstAnchored = Math.max(worstAnchored, Math.abs(anchored));
  console.log(`${++second}s  performance-based ${perf.toFixed(4)} ms  WallClock ${anchored.toFixed(4)} ms`);
  if (second >= seconds) {
    clearInterval(timer);
    console.log(
      `worst over ${seconds} s: performance-based ${worstPerf.toFixed(4)} ms, WallClock ${worstAnchored.toFixed(4)} ms (node ${process.version})`,
    );
  }
}, 1000);
