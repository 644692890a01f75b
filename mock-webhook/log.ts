// One line per event on stderr; repeated failures at most once per interval
// so a Redis outage under load does not flood the log.
const lastLogged = new Map<string, number>();
const REPEAT_INTERVAL_MS = 5_000;

export function log(message: string): void {
  process.stderr.write(`mock-webhook[${process.pid}]: ${message}\n`);
}

export function logThrottled(key: string, message: string): void {
  const now = Date.now();
  if (now - (lastLogged.get(key) ?? 0) < REPEAT_INTERVAL_MS) return;
  lastLogged.set(key, now);
  log(message);
}
