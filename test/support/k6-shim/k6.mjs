// k6's sleep blocks the VU; so does this one.
const cell = new Int32Array(new SharedArrayBuffer(4));
export function sleep(seconds) {
  Atomics.wait(cell, 0, 0, seconds * 1000);
}
export default { sleep };
