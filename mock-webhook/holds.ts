import type { ServerResponse } from "node:http";

// Waits that stand for a slow destination (added latency, timeouts). Shutdown
// releases them all at once so SIGTERM does not sit out a 10 s hold.
export class Holds {
  private readonly pending = new Set<() => void>();
  private released = false;

  // Resolves after ms, on release, or when the client has gone away.
  wait(ms: number, res: ServerResponse): Promise<void> {
    if (ms <= 0 || this.released) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        res.off("close", done);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      res.once("close", done);
      this.pending.add(done);
    });
  }

  releaseAll(): void {
    this.released = true;
    for (const done of [...this.pending]) done();
  }
}
