import { LRUCache } from "lru-cache";
import type { RedisPort } from "../src/ports";
import type { RunRecord } from "../src/runstate/record";
import { RunStateStore } from "../src/runstate/store";

// A run the mock can record deliveries for.
export interface KnownRun {
  store: RunStateStore;
  record: RunRecord;
  // Destination index -> signing secret.
  secrets: Map<number, string>;
}

// A run named in a path but without a record: only anomalies can be counted.
export interface UnknownRun {
  store: RunStateStore;
  record: null;
}

export type CachedRun = KnownRun | UnknownRun;

// Run records are written once, but a run may appear after its first delivery
// (or reappear after a FLUSHALL), so known runs are re-read now and then and
// unknown ones forgotten quickly.
const KNOWN_TTL_MS = 60_000;
const UNKNOWN_TTL_MS = 1_000;

export class RunCache {
  private readonly cache: LRUCache<string, CachedRun>;

  constructor(redis: RedisPort, ttlSeconds: number, maxRuns = 256) {
    this.cache = new LRUCache<string, CachedRun>({
      max: maxRuns,
      ttl: KNOWN_TTL_MS,
      // Concurrent misses for one run share a single GET.
      fetchMethod: async (testId, _stale, { options }) => {
        const store = new RunStateStore(redis, testId, ttlSeconds);
        const record = await store.loadRunRecord();
        if (record === null) {
          options.ttl = UNKNOWN_TTL_MS;
          return { store, record };
        }
        return { store, record, secrets: new Map(record.destinations.map((d) => [d.index, d.secret])) };
      },
    });
  }

  // The cached run, when there is one: no promise to wait for on the delivery path.
  peek(testId: string): CachedRun | undefined {
    return this.cache.get(testId);
  }

  // Rejects when Redis fails.
  async get(testId: string): Promise<CachedRun> {
    const hit = this.cache.get(testId) ?? (await this.cache.fetch(testId));
    if (hit === undefined) throw new Error(`run cache: no entry for ${testId}`);
    return hit;
  }
}
