import { LRUCache } from "lru-cache";
import { type FaultConfig, Faults, faultsFromJson, NO_FAULTS } from "../src/receiver/faults";
import type { Random } from "../src/receiver/latency";
import { profileOfDestination } from "../src/runstate/identity";
import type { RunProfile } from "../src/runstate/record";
import type { KnownRun } from "./runs";

// Another mock replica's change through the control endpoint reaches this one
// within this long; a change made here reaches this replica's workers at once.
export const RECEIVER_REFRESH_MS = 1000;

// Where a profile's receiver behaviour comes from.
export type ReceiverSource = "control" | "profile" | "mock";

// Per profile (record order): its own faults, or null for the mock's.
type RunReceivers = Array<{ faults: Faults | null; source: ReceiverSource }>;

// The receiver behaviour of each run's traffic profiles: what the control
// endpoint set at run time (Redis, so every replica sees it), else the
// profile's own from the run record, else null (the mock's own faults).
// Re-read at most every RECEIVER_REFRESH_MS per run, in the background: one
// Redis read per second per run and process, never one per delivery.
export class Receivers {
  private readonly cache: LRUCache<string, RunReceivers, KnownRun>;

  constructor(
    maxRuns = 256,
    private readonly random: Random = Math.random,
  ) {
    this.cache = new LRUCache<string, RunReceivers, KnownRun>({
      max: maxRuns,
      ttl: RECEIVER_REFRESH_MS,
      allowStale: true,
      allowStaleOnFetchRejection: true,
      fetchMethod: async (_testId, _stale, { context }) => this.load(context),
    });
  }

  private async load(run: KnownRun): Promise<RunReceivers> {
    const overrides = await run.store.receiverOverrides();
    return run.record.profiles.map((p) => {
      const changed = overrides.get(p.index);
      if (changed !== undefined)
        return { faults: new Faults(faultsFromJson(changed, NO_FAULTS), this.random), source: "control" };
      if (p.receiver !== null) return { faults: new Faults(p.receiver, this.random), source: "profile" };
      return { faults: null, source: "mock" };
    });
  }

  private async of(run: KnownRun): Promise<RunReceivers> {
    const r = await this.cache.fetch(run.record.testId, { context: run });
    if (r === undefined) throw new Error(`receivers: nothing loaded for ${run.record.testId}`);
    return r;
  }

  // The faults to apply to a delivery at this destination: its profile's, or
  // `mock` (the mock's own). Without a promise while the run's entry is fresh,
  // so a delivery waits no turn of the microtask queue for it.
  forDestination(run: KnownRun, destination: number, mock: Faults): Faults | Promise<Faults> {
    const p = profileOfDestination(run.record.profiles, destination);
    if (p === null) return mock;
    const fresh = this.cache.has(run.record.testId) ? this.cache.get(run.record.testId) : undefined;
    if (fresh !== undefined) return fresh[p.index].faults ?? mock;
    return this.of(run).then((r) => r[p.index].faults ?? mock);
  }

  // A profile's behaviour in force and where it comes from.
  async current(
    run: KnownRun,
    profile: RunProfile,
    mock: Faults,
  ): Promise<{ config: FaultConfig; source: ReceiverSource }> {
    const r = (await this.of(run))[profile.index];
    return { config: (r.faults ?? mock).config, source: r.source };
  }

  // After a change through the control endpoint: the next delivery reads Redis again.
  invalidate(testId: string): void {
    this.cache.delete(testId);
  }
}
