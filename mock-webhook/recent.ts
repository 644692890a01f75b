import { LRUCache } from "lru-cache";
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

// Attempts kept per event: enough to see a retry sequence, bounded anyway.
const MAX_ATTEMPTS = 16;

export class RecentAttempts {
  private readonly cache: LRUCache<string, RecentAttempt[]>;

  constructor(maxEvents: number) {
    this.cache = new LRUCache({ max: maxEvents });
  }

  add(eventId: string, attempt: RecentAttempt): void {
    const list = this.cache.get(eventId);
    if (list === undefined) this.cache.set(eventId, [attempt]);
    else if (list.push(attempt) > MAX_ATTEMPTS) list.shift();
  }

  get(eventId: string): RecentAttempt[] {
    return this.cache.get(eventId) ?? [];
  }

  get size(): number {
    return this.cache.size;
  }
}
