import type { SignatureStatus } from "../src/runstate/store";

// What this process saw of one delivery attempt, for GET /events/:id.
export interface RecentAttempt {
  testId: string;
  destination: number;
  // first | duplicate | fault kind | anomaly reason
  outcome: string;
  status: number;
  signature?: SignatureStatus;
  t3Ms: number;
  taMs?: number;
  t0Ms?: number;
}

// Attempts returned per event: enough to see a retry sequence, bounded anyway.
const MAX_ATTEMPTS = 16;

// The last `capacity` attempts this process answered, oldest overwritten
// first. Kept in columns (typed arrays for the numbers) rather than an object
// per attempt: every delivery adds one, and objects that live for thousands of
// deliveries are what makes V8's garbage collection expensive (npm run
// bench:mock). A lookup scans the ring: GET /events/:id is for debugging.
export class RecentAttempts {
  private next = 0;
  private count = 0;
  private readonly eventIds: string[];
  private readonly testIds: string[];
  private readonly outcomes: string[];
  private readonly signatures: Array<SignatureStatus | undefined>;
  private readonly destinations: Int32Array;
  private readonly statuses: Int16Array;
  // NaN: not sent.
  private readonly stamps: Float64Array;

  constructor(private readonly capacity: number) {
    this.eventIds = new Array<string>(capacity);
    this.testIds = new Array<string>(capacity);
    this.outcomes = new Array<string>(capacity);
    this.signatures = new Array<SignatureStatus | undefined>(capacity);
    this.destinations = new Int32Array(capacity);
    this.statuses = new Int16Array(capacity);
    this.stamps = new Float64Array(3 * capacity);
  }

  add(eventId: string, a: RecentAttempt): void {
    const i = this.next;
    this.eventIds[i] = eventId;
    this.testIds[i] = a.testId;
    this.outcomes[i] = a.outcome;
    this.signatures[i] = a.signature;
    this.destinations[i] = a.destination;
    this.statuses[i] = a.status;
    this.stamps[3 * i] = a.t3Ms;
    this.stamps[3 * i + 1] = a.taMs ?? Number.NaN;
    this.stamps[3 * i + 2] = a.t0Ms ?? Number.NaN;
    this.next = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  // The event's last MAX_ATTEMPTS attempts still held, oldest first.
  get(eventId: string): RecentAttempt[] {
    const found: RecentAttempt[] = [];
    for (let k = 1; k <= this.count && found.length < MAX_ATTEMPTS; k++) {
      const i = (this.next - k + this.capacity) % this.capacity;
      if (this.eventIds[i] === eventId) found.unshift(this.attemptAt(i));
    }
    return found;
  }

  private attemptAt(i: number): RecentAttempt {
    const stamp = (j: number): number | undefined => {
      const v = this.stamps[3 * i + j];
      return Number.isNaN(v) ? undefined : v;
    };
    const signature = this.signatures[i];
    const taMs = stamp(1);
    const t0Ms = stamp(2);
    return {
      testId: this.testIds[i],
      destination: this.destinations[i],
      outcome: this.outcomes[i],
      status: this.statuses[i],
      ...(signature === undefined ? {} : { signature }),
      t3Ms: this.stamps[3 * i],
      ...(taMs === undefined ? {} : { taMs }),
      ...(t0Ms === undefined ? {} : { t0Ms }),
    };
  }

  // Attempts held.
  get size(): number {
    return this.count;
  }
}
