import { performance } from "node:perf_hooks";
import type { Receipt } from "../src/runstate/store";
import type { KnownRun } from "./runs";

interface Waiting {
  receipt: Receipt;
  resolve(first: boolean): void;
  reject(err: unknown): void;
}

// At most this many receipts per script call: the call blocks Redis while it runs.
const MAX_BATCH = 256;

// Writes the receipts of concurrent deliveries to Redis together: one script
// call (RECEIPTS) per run and flush instead of one per delivery, since the
// round trip (a write and a read on the socket, a command encoded and a reply
// parsed) cost more of the mock's CPU than anything else it does per delivery
// (npm run bench:mock). Each caller's promise settles when Redis holds its
// receipt (or with Redis's error), so no delivery is answered 2xx before then.
//
// A flush starts at most once per windowMs: receipts arriving meanwhile wait
// for the next one, so a delivery's answer is delayed by at most windowMs (and
// not at all while deliveries are rarer than that). windowMs 0: only receipts
// of the same turn of the event loop share a call.
export class ReceiptWriter {
  private waiting = new Map<KnownRun, Waiting[]>();
  private scheduled = false;
  private lastFlushMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMs: number) {}

  // Resolves true for the event's first delivery to the destination, false for a duplicate.
  write(run: KnownRun, receipt: Receipt): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(run);
      if (list === undefined) this.waiting.set(run, [{ receipt, resolve, reject }]);
      else list.push({ receipt, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastFlushMs + this.windowMs - performance.now();
    if (wait >= 1) setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    this.lastFlushMs = performance.now();
    const runs = this.waiting;
    this.waiting = new Map();
    for (const [run, list] of runs)
      for (let i = 0; i < list.length; i += MAX_BATCH) this.writeBatch(run, list.slice(i, i + MAX_BATCH));
  }

  private writeBatch(run: KnownRun, batch: Waiting[]): void {
    run.store
      .recordReceipts(
        run.record,
        batch.map((w) => w.receipt),
      )
      .then(
        (firsts) => {
          for (let i = 0; i < batch.length; i++) batch[i].resolve(firsts[i]);
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      );
  }
}
