import type { FaultConfig } from "../src/receiver/faults";

// Messages between the cluster primary and its workers (prom-client's own
// metric requests share the channel and are ignored here).
export type ToPrimary =
  | { type: "olt:metrics"; id: number }
  | { type: "olt:faults"; id: number; config: FaultConfig }
  // A run's profile receiver behaviour changed in Redis: every worker drops its copy.
  | { type: "olt:receivers"; id: number; testId: string }
  // A worker applied an olt:faults:set or olt:receivers:changed.
  | { type: "olt:applied"; id: number };

export type ToWorker =
  | { type: "olt:reply"; id: number; body?: string; error?: string }
  | { type: "olt:faults:set"; id: number; config: FaultConfig }
  | { type: "olt:receivers:changed"; id: number; testId: string }
  | { type: "olt:shutdown" };

export function isOltMessage<T extends { type: string }>(msg: unknown): msg is T {
  return (
    typeof msg === "object" &&
    msg !== null &&
    typeof (msg as { type?: unknown }).type === "string" &&
    (msg as { type: string }).type.startsWith("olt:")
  );
}

// Requests over IPC awaiting an answer by id.
export class PendingReplies<T> {
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly timeoutMs: number) {}

  request(send: (id: number) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id, new Error(`no answer over IPC within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.waiting.set(id, { resolve, reject, timer });
      send(id);
    });
  }

  settle(id: number, outcome: T | Error): void {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }
}
