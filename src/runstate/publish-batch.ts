import type { RedisArg } from "../ports";
import { localIndexOfSeq, type ProfileLayout, tenantOfSeq } from "./identity";
import type { RunKeys } from "./keys";
import { windowOf } from "./latency-windows";
import type { PublishRecord, RunTiming } from "./store";

// Publish outcomes of one traffic profile gathered for one PUBLISHES script
// call (scripts.ts documents its keys and arguments): the keys of each tenant
// group and latency window as they first appear, and each event as JSON text. A k6 VU adds every event it publishes here, and k6's
// interpreter makes each operation count several times over what it costs in a
// tight loop (npm run bench:generator): a string per event costs less than an
// array per event and one JSON.stringify of them all.
export class PublishBatch {
  size = 0;
  // The first event's sequence number (-1 while empty), to name the batch in errors.
  firstSeq = -1;
  private readonly groupOf = new Map<number, number>();
  private readonly groupKeys: string[] = [];
  private readonly firstDestinations: number[] = [];
  private readonly windowSlots = new Map<number, number>();
  private readonly windowKeys: string[] = [];
  private readonly counters: Record<string, number> = {};
  private readonly everywhere: string;
  // Each event's JSON text, joined once for the call.
  private readonly rows: string[] = [];

  constructor(
    private readonly keys: RunKeys,
    private readonly record: RunTiming,
    readonly profile: ProfileLayout,
  ) {
    this.everywhere = "1".repeat(profile.destinationsPerTenant);
  }

  add(ev: PublishRecord): void {
    const profile = this.profile;
    const k = this.keys;
    const per = profile.destinationsPerTenant;
    const tenant = tenantOfSeq(profile, ev.seq);
    let group = this.groupOf.get(tenant);
    if (group === undefined) {
      group = this.firstDestinations.length;
      this.groupOf.set(tenant, group);
      const first = profile.firstDestination + (tenant - profile.firstTenant) * per;
      this.firstDestinations.push(first);
      this.groupKeys.push(k.accepted(tenant), k.rejected(tenant), k.publishedAt(tenant));
      for (let d = first; d < first + per; d++) this.groupKeys.push(k.attemptAt(d), k.latency(d), k.notRouted(d));
    }
    if (this.size === 0) this.firstSeq = ev.seq;
    this.size++;
    const local = localIndexOfSeq(profile, ev.seq);
    if (ev.kind === "not_accepted") {
      this.rows.push(`[0,${group},${local},${JSON.stringify(ev.reason)}]`);
      return;
    }
    const window = windowOf(this.record.latencyWindows, this.record.startedAtMs, ev.t0Ms);
    let slot = window < 0 ? 0 : this.windowSlots.get(window);
    if (slot === undefined) {
      this.windowKeys.push(k.latencyWindow(window));
      slot = this.windowKeys.length;
      this.windowSlots.set(window, slot);
    }
    let routed = this.everywhere;
    if (ev.routed !== undefined) {
      routed = "";
      for (let j = 0; j < per; j++) routed += ev.routed[j] === false ? "0" : "1";
    }
    const started = ev.startedMs === undefined ? "null" : ev.startedMs;
    this.rows.push(`[1,${group},${local},${ev.t0Ms},${started},${ev.t2Ms},"${routed}",${slot}]`);
    if (ev.counters) for (const c of ev.counters) this.counters[c] = (this.counters[c] ?? 0) + 1;
  }

  // The PUBLISHES call's keys and arguments.
  call(ttlSeconds: number): { keys: string[]; args: RedisArg[] } {
    const k = this.keys;
    const p = this.profile.index;
    return {
      keys: [k.publish(p), k.publishLatency(p), k.publishTimeline(p), k.routing, ...this.windowKeys, ...this.groupKeys],
      args: [
        ttlSeconds,
        this.profile.destinationsPerTenant,
        this.record.startedAtMs,
        this.record.warmupEndsAtMs,
        this.windowKeys.length,
        JSON.stringify(this.firstDestinations),
        `[${this.rows.join(",")}]`,
        JSON.stringify(this.counters),
      ],
    };
  }
}
