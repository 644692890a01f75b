import type { RedisPort, RedisReply } from "../ports";
import { type Histogram, histogramFromHash, mergeHistograms, WINDOW_COARSENING } from "./histogram";
import {
  destinationCount,
  localIndexOfSeq,
  type ProfileLayout,
  profileOfDestination,
  seqOf,
  tenantCount,
  tenantOfDestination,
  tenantOfSeq,
} from "./identity";
import { DEFAULT_RUN_TTL_SECONDS, PUBLISHER_STAGES, type RunKeys, runKeys, type Stage, STAGES } from "./keys";
import { windowOf } from "./latency-windows";
import { PublishBatch } from "./publish-batch";
import { parseRunRecord, type RunProfile, type RunRecord } from "./record";
import { FAULT, PROGRESS, PUBLISHES, RECEIPTS, RUN_END, RUN_SNAPSHOT, SNAPSHOT_SCRATCH } from "./scripts";
import { ScriptRunner } from "./script-runner";

export type SignatureStatus = "ok" | "bad" | "missing" | "unchecked";

export interface PublishOutcome {
  seq: number;
  // The event's t0: its scheduled time, or its iteration start where the
  // schedule cannot be derived.
  t0Ms: number;
  // The iteration's start when t0 is the scheduled time: generator lag = startedMs − t0Ms.
  startedMs?: number;
  // Publish acknowledged (k6 measures it; ms precision).
  t2Ms: number;
  // Per destination of the event's tenant, in order: did Outpost's answer list it.
  // Absent: all were.
  routed?: boolean[];
  // Publish counters this event adds besides accepted (routing_unexpected,
  // routing_unreadable, t0_unscheduled).
  counters?: string[];
}

// A publish's outcome as the run state records it. not_accepted reasons:
// "duplicate" (Outpost said duplicate:true), "rejected:<status>", "error:<kind>".
export type PublishRecord =
  | ({ kind: "accepted" } & PublishOutcome)
  | { kind: "not_accepted"; seq: number; reason: string };

export interface Receipt {
  destination: number;
  seq: number;
  // First byte at the mock.
  t3Ms: number;
  // Outpost's attempt start (timestamp-ms header), when sent.
  taMs?: number;
  // Iteration start carried as event metadata, when sent.
  t0Ms?: number;
  signature: SignatureStatus;
  // The latency the mock adds before answering this attempt (its receiver
  // behaviour); absent: none.
  receiverHoldMs?: number;
}

// One destination as of the snapshot: the set arithmetic of RUN_SNAPSHOT and
// the destination's independently kept counters (dst:<d> hash).
export interface DestinationSnapshot {
  destination: number;
  // attempts, first, duplicate, fault:<kind>, sig:<status>.
  counters: Record<string, number>;
  received: number;
  faulted: number;
  // Received and accepted.
  delivered: number;
  // Received although the publish was not acknowledged (rejected bit).
  unacknowledged: number;
  // Accepted, left out of Outpost's publish answer, and not received.
  notRouted: number;
  // Accepted, not received, never answered with an injected fault.
  undeliveredNoFault: number;
  undeliveredNoFaultSeqs: number[];
  // Accepted, not received, faulted, and Outpost has attempts left (or the budget is unknown).
  faultPending: number;
  faultPendingSeqs: number[];
  // Accepted, not received, and every attempt Outpost makes got an injected fault.
  faultExhausted: number;
  faultExhaustedSeqs: number[];
  // False when too many events were faulted to look at each (EXHAUSTED_SPLIT_LIMIT).
  exhaustedSplitDone: boolean;
}

export interface RunEnd {
  // Latest end any throughput teardown recorded; null: none recorded.
  endedAtMs: number | null;
  teardowns: number;
  // Teardowns that ran before the schedule's planned end: the run was cut short.
  cutShort: number;
}

// The run's ledger state at one instant (one server-side script).
export interface RunSnapshot {
  // Remaining TTL of the run record, null when it does not exist.
  recordPttlMs: number | null;
  // Shortest remaining TTL among the keys throughput writes (pub, acc:*, rej:*):
  // the oldest of them; null when none exists.
  oldestPublishKeyPttlMs: number | null;
  runEnd: RunEnd;
  // Publish counters per profile, in the record's order.
  publish: Array<Record<string, number>>;
  anomalies: Record<string, number>;
  // first:<d>, last:<d>: epoch ms of the first and last publish ack that left destination d out.
  routing: Record<string, number>;
  // Per tenant: accepted and rejected bits.
  tenants: Array<{ accepted: number; rejected: number }>;
  destinations: DestinationSnapshot[];
}

// What the publish path needs of a record: setup hands this (no secrets) to the VUs.
export type RunTiming = Pick<RunRecord, "startedAtMs" | "warmupEndsAtMs" | "latencyWindows">;

export function inWarmup(record: RunTiming, t0Ms: number): boolean {
  return t0Ms < record.warmupEndsAtMs;
}

const asNumber = (r: RedisReply): number => Number(r);

function flatStrings(r: RedisReply): string[] {
  if (r === null) return [];
  if (!Array.isArray(r)) throw new Error(`redis: expected a list reply, got ${typeof r}`);
  return r.map((x) => String(x));
}

// HGETALL is a flat list over RESP2 (node-redis) and a map over RESP3 (k6's
// go-redis client), which arrives as an object. Accept both.
function hashFields(r: RedisReply): Record<string, string> {
  if (r !== null && typeof r === "object" && !Array.isArray(r)) {
    const out: Record<string, string> = {};
    for (const [f, v] of Object.entries(r)) out[f] = String(v);
    return out;
  }
  const flat = flatStrings(r);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

type Json = Record<string, unknown>;

// Script replies that carry more than one figure are JSON objects (cjson),
// read here by field name so a reordered or extended script cannot shift them.
function parseScriptJson(script: string, r: RedisReply): Json {
  try {
    const v = JSON.parse(String(r)) as unknown;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Json;
  } catch {
    // fall through to the error below
  }
  throw new Error(`${script} script: expected a JSON object reply`);
}

function numberField(script: string, o: Json, name: string): number {
  const v = o[name];
  if (typeof v !== "number") throw new Error(`${script} script: reply field ${name} missing or not a number`);
  return v;
}

function optionalNumberField(script: string, o: Json, name: string): number | null {
  return o[name] === undefined ? null : numberField(script, o, name);
}

// cjson encodes an empty Lua table as {}, so an empty list may arrive as an object.
function listField(o: Json, name: string): unknown[] {
  const v = o[name];
  return Array.isArray(v) ? v : [];
}

function countsField(o: Json, name: string): Record<string, number> {
  return countsOf(o[name]);
}

function countsOf(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v !== null && typeof v === "object" && !Array.isArray(v))
    for (const [f, n] of Object.entries(v as Json)) out[f] = Number(n);
  return out;
}

function runEndOf(h: Record<string, string | number>): RunEnd {
  return {
    endedAtMs: h.endedAtMs ? Number(h.endedAtMs) : null,
    teardowns: Number(h.teardowns ?? 0),
    cutShort: Number(h.cutShort ?? 0),
  };
}

// Adds counter hashes (as read by RunStateStore.counters) field by field.
export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

// The run-state contract in use: every reader and writer of a run's Redis
// state goes through this class.
export class RunStateStore {
  readonly keys: RunKeys;
  private readonly scripts: ScriptRunner;

  constructor(
    private readonly redis: RedisPort,
    readonly testId: string,
    private readonly ttlSeconds: number = DEFAULT_RUN_TTL_SECONDS,
  ) {
    this.keys = runKeys(testId);
    this.scripts = new ScriptRunner(redis);
  }

  // Idempotent: the first writer wins (k6-operator runs setup on every runner);
  // later writers get the stored record back.
  async createRunRecord(record: RunRecord): Promise<{ record: RunRecord; created: boolean }> {
    const reply = await this.redis.command([
      "SET",
      this.keys.record,
      JSON.stringify(record),
      "NX",
      "EX",
      this.ttlSeconds,
    ]);
    if (reply === "OK") return { record, created: true };
    const existing = await this.loadRunRecord();
    if (existing === null) throw new Error(`run record for ${this.testId} vanished while being created`);
    return { record: existing, created: false };
  }

  // Keys that only exist once a run record did (throughput writes them after
  // setup, the mock only for a run it found): found without a record, the
  // run's state was lost rather than never written. Named by their role.
  async keysWithoutRecord(): Promise<string[]> {
    const k = this.keys;
    const roles: Array<[string, string]> = [
      ["publish counters", k.publish(0)],
      ["run end", k.end],
      ["accepted bitmap of tenant 0", k.accepted(0)],
      ["rejected bitmap of tenant 0", k.rejected(0)],
      ["publish latency", k.publishLatency(0)],
      ["publish timeline", k.publishTimeline(0)],
      ["receipts of destination 0", k.receipts(0)],
      ["counters of destination 0", k.destination(0)],
    ];
    const found: string[] = [];
    for (const [role, key] of roles) if (Number(await this.redis.command(["EXISTS", key])) === 1) found.push(role);
    return found;
  }

  async loadRunRecord(): Promise<RunRecord | null> {
    const json = await this.redis.command(["GET", this.keys.record]);
    return json === null ? null : parseRunRecord(String(json));
  }

  // completedSchedule: false when throughput stopped before its schedule's end
  // (Ctrl-C, exec.test.abort): verify then calls the run cut short.
  async markRunEnded(endedAtMs: number, completedSchedule = true): Promise<void> {
    await this.scripts.run(
      RUN_END,
      [this.keys.end],
      [this.ttlSeconds, Math.round(endedAtMs), completedSchedule ? 1 : 0],
    );
  }

  async runEnd(): Promise<RunEnd> {
    return runEndOf(hashFields(await this.redis.command(["HGETALL", this.keys.end])));
  }

  // Writes a batch of publish outcomes of one profile in one script call
  // (PUBLISHES) and returns how many were newly accepted: an accepted sequence
  // seen again counts as accepted_again instead (a harness anomaly).
  async writePublishes(batch: PublishBatch): Promise<number> {
    const { keys, args } = batch.call(this.ttlSeconds);
    return asNumber(await this.scripts.run(PUBLISHES, keys, args));
  }

  async recordPublishes(record: RunTiming, profile: ProfileLayout, events: readonly PublishRecord[]): Promise<number> {
    const batch = new PublishBatch(this.keys, record, profile);
    for (const ev of events) batch.add(ev);
    return this.writePublishes(batch);
  }

  // One accepted publish; false when the sequence had already been accepted.
  async recordPublishAccepted(record: RunTiming, profile: ProfileLayout, ev: PublishOutcome): Promise<boolean> {
    return (await this.recordPublishes(record, profile, [{ kind: "accepted", ...ev }])) === 1;
  }

  // reason: "duplicate" (Outpost said duplicate:true), "rejected:<status>", "error:<kind>".
  async recordPublishNotAccepted(
    record: RunTiming,
    profile: ProfileLayout,
    seq: number,
    reason: string,
  ): Promise<void> {
    await this.recordPublishes(record, profile, [{ kind: "not_accepted", seq, reason }]);
  }

  // Publish counters of every profile, added up.
  async publishCounters(profiles: ReadonlyArray<{ index: number }>): Promise<Record<string, number>> {
    const total: Record<string, number> = {};
    for (const p of profiles) addCounts(total, await this.counters(this.keys.publish(p.index)));
    return total;
  }

  // Records receipts in one script call (RECEIPTS); per receipt, true for the
  // first delivery of the event to the destination, false for a duplicate.
  async recordReceipts(record: RunRecord, receipts: readonly Receipt[]): Promise<boolean[]> {
    const k = this.keys;
    const groupOf = new Map<number, number>();
    const groupKeys: string[] = [];
    // Window index -> its key's 1-based position among the window keys.
    const windowSlots = new Map<number, number>();
    const windowKeys: string[] = [];
    // Differences of two hosts' clocks can come out negative: the script counts those.
    const us = (ms: number): number => Math.round(ms * 1000);
    const rows = receipts.map((r) => {
      const d = r.destination;
      const profile = profileAt(record, d);
      let group = groupOf.get(d);
      if (group === undefined) {
        group = groupOf.size;
        groupOf.set(d, group);
        groupKeys.push(
          k.receipts(d),
          k.destination(d),
          k.latency(d),
          k.deliveryTimeline(d),
          k.publishedAt(tenantOfSeq(profile, r.seq)),
          k.attemptAt(d),
        );
      }
      const window = r.t0Ms === undefined ? -1 : windowOf(record.latencyWindows, record.startedAtMs, r.t0Ms);
      let slot = window < 0 ? 0 : windowSlots.get(window);
      if (slot === undefined) {
        windowKeys.push(k.latencyWindow(window));
        slot = windowKeys.length;
        windowSlots.set(window, slot);
      }
      return [
        group,
        localIndexOfSeq(profile, r.seq),
        r.taMs === undefined ? null : us(r.t3Ms - r.taMs),
        r.t0Ms === undefined ? null : us(r.t3Ms - r.t0Ms),
        Math.floor(r.t3Ms / 1000),
        r.taMs === undefined || r.taMs < record.startedAtMs ? -1 : Math.round(r.taMs - record.startedAtMs),
        r.t0Ms === undefined || !inWarmup(record, r.t0Ms) ? 1 : 0,
        r.signature,
        slot,
        us(r.receiverHoldMs ?? 0),
      ];
    });
    const reply = await this.scripts.run(
      RECEIPTS,
      [...windowKeys, ...groupKeys],
      [this.ttlSeconds, windowKeys.length, JSON.stringify(rows)],
    );
    if (!Array.isArray(reply) || reply.length !== receipts.length)
      throw new Error(`${RECEIPTS.name} script: expected ${receipts.length} results`);
    return reply.map((x) => Number(x) === 1);
  }

  // One receipt; true for the first delivery of the event to the destination, false for a duplicate.
  async recordReceipt(record: RunRecord, r: Receipt): Promise<boolean> {
    return (await this.recordReceipts(record, [r]))[0];
  }

  async recordFault(
    record: RunRecord,
    destination: number,
    seq: number,
    kind: string,
    signature: SignatureStatus,
  ): Promise<void> {
    await this.scripts.run(
      FAULT,
      [this.keys.faulted(destination), this.keys.destination(destination), this.keys.faultCount(destination)],
      [this.ttlSeconds, localIndexOfSeq(profileAt(record, destination), seq), kind, signature],
    );
  }

  // A delivery the harness cannot place: unknown run, bad event id, wrong tenant...
  async recordAnomaly(reason: string): Promise<void> {
    await this.redis.command(["HINCRBY", this.keys.anomalies, reason, 1]);
    await this.redis.command(["EXPIRE", this.keys.anomalies, this.ttlSeconds, "NX"]);
  }

  async progress(record: RunRecord): Promise<{ expected: number; delivered: number }> {
    const keys = [this.keys.scratch("progress_acked_receipts")];
    for (let t = 0; t < tenantCount(record.profiles); t++) keys.push(this.keys.accepted(t));
    for (let d = 0; d < destinationCount(record.profiles); d++)
      keys.push(this.keys.receipts(d), this.keys.notRouted(d));
    const layout = record.profiles.flatMap((p) => [p.tenants, p.destinationsPerTenant]);
    const reply = parseScriptJson(
      PROGRESS.name,
      await this.scripts.run(PROGRESS, keys, [this.ttlSeconds, record.profiles.length, ...layout]),
    );
    return {
      expected: numberField(PROGRESS.name, reply, "expected"),
      delivered: numberField(PROGRESS.name, reply, "delivered"),
    };
  }

  // The whole ledger state of the run in one atomic script. maxAttempts(p):
  // Outpost's attempts per event of profile p (1 when its RETRY is off), or 0
  // when unknown; it separates retries still pending from retries used up.
  async snapshot(record: RunRecord, listCap: number, maxAttempts: (p: RunProfile) => number): Promise<RunSnapshot> {
    const k = this.keys;
    const keys = [k.record, k.end, k.anomalies, k.routing, ...SNAPSHOT_SCRATCH.map((n) => k.scratch(n))];
    for (const p of record.profiles) keys.push(k.publish(p.index));
    for (let t = 0; t < tenantCount(record.profiles); t++) keys.push(k.accepted(t), k.rejected(t));
    for (let d = 0; d < destinationCount(record.profiles); d++)
      keys.push(k.receipts(d), k.faulted(d), k.faultCount(d), k.destination(d), k.notRouted(d));
    const layout = record.profiles.flatMap((p) => [p.tenants, p.destinationsPerTenant, maxAttempts(p)]);
    const name = RUN_SNAPSHOT.name;
    const reply = parseScriptJson(
      name,
      await this.scripts.run(RUN_SNAPSHOT, keys, [this.ttlSeconds, listCap, record.profiles.length, ...layout]),
    );
    const destinations = listField(reply, "destinations").map((raw): DestinationSnapshot => {
      const o = raw as Json;
      const destination = numberField(name, o, "destination");
      const profile = profileAt(record, destination);
      const tenant = tenantOfDestination(profile, destination);
      const seqs = (field: string): number[] =>
        listField(o, field).map((local) => seqOf(profile, tenant, Number(local)));
      const n = (field: string): number => numberField(name, o, field);
      return {
        destination,
        counters: countsField(o, "counters"),
        received: n("received"),
        faulted: n("faulted"),
        delivered: n("delivered"),
        unacknowledged: n("unacknowledged"),
        notRouted: n("not_routed"),
        undeliveredNoFault: n("undelivered_no_fault"),
        undeliveredNoFaultSeqs: seqs("undelivered_no_fault_list"),
        faultPending: n("fault_pending"),
        faultPendingSeqs: seqs("fault_pending_list"),
        faultExhausted: n("fault_exhausted"),
        faultExhaustedSeqs: seqs("fault_exhausted_list"),
        exhaustedSplitDone: n("split_done") === 1,
      };
    });
    const ends = countsField(reply, "run_end");
    return {
      recordPttlMs: optionalNumberField(name, reply, "record_pttl"),
      oldestPublishKeyPttlMs: optionalNumberField(name, reply, "oldest_publish_key_pttl"),
      runEnd: runEndOf(ends),
      publish: listField(reply, "publish").map(countsOf),
      anomalies: countsField(reply, "anomalies"),
      routing: countsField(reply, "routing"),
      tenants: listField(reply, "tenants").map((raw) => ({
        accepted: numberField(name, raw as Json, "accepted"),
        rejected: numberField(name, raw as Json, "rejected"),
      })),
      destinations,
    };
  }

  async counters(key: string): Promise<Record<string, number>> {
    const h = hashFields(await this.redis.command(["HGETALL", key]));
    const out: Record<string, number> = {};
    for (const [f, v] of Object.entries(h)) out[f] = Number(v);
    return out;
  }

  private async hashOf(key: string): Promise<Record<string, string>> {
    return hashFields(await this.redis.command(["HGETALL", key]));
  }

  // One stage of one destination (queue, delivery, e2e, receiver).
  async histogram(stage: Stage, destination: number): Promise<Histogram> {
    return histogramFromHash(await this.hashOf(this.keys.latency(destination)), stage);
  }

  // Every stage of one profile: the publisher's stages from its hash, the
  // others merged across its destinations. One destination's stages share a
  // hash, so each is read once.
  async stageHistograms(profile: RunProfile): Promise<Record<Stage, Histogram>> {
    const publisher = await this.hashOf(this.keys.publishLatency(profile.index));
    const count = profile.tenants * profile.destinationsPerTenant;
    const perDestination = await Promise.all(
      Array.from({ length: count }, (_, j) => this.hashOf(this.keys.latency(profile.firstDestination + j))),
    );
    const out = {} as Record<Stage, Histogram>;
    for (const stage of STAGES) {
      out[stage] = PUBLISHER_STAGES.includes(stage)
        ? histogramFromHash(publisher, stage)
        : mergeHistograms(perDestination.map((f) => histogramFromHash(f, stage)));
    }
    return out;
  }

  // Latency over time: windows 0..lastWindow that have samples -> stage -> histogram (coarse buckets).
  async latencyWindowHistograms(lastWindow: number): Promise<Map<number, Record<Stage, Histogram>>> {
    const out = new Map<number, Record<Stage, Histogram>>();
    for (let w = 0; w <= lastWindow; w++) {
      const fields = hashFields(await this.redis.command(["HGETALL", this.keys.latencyWindow(w)]));
      if (Object.keys(fields).length === 0) continue;
      const stages = {} as Record<Stage, Histogram>;
      for (const stage of STAGES) stages[stage] = histogramFromHash(fields, stage, WINDOW_COARSENING);
      out.set(w, stages);
    }
    return out;
  }

  private async series(key: string): Promise<Array<[number, number]>> {
    const c = await this.counters(key);
    return Object.entries(c)
      .map(([s, n]) => [Number(s), n] as [number, number])
      .sort((a, b) => a[0] - b[0]);
  }

  // Sorted [epochSecond, count] pairs: accepted publishes of a profile.
  publishTimeline(profile: number): Promise<Array<[number, number]>> {
    return this.series(this.keys.publishTimeline(profile));
  }

  // Sorted [epochSecond, count] pairs: first deliveries at a destination.
  deliveryTimeline(destination: number): Promise<Array<[number, number]>> {
    return this.series(this.keys.deliveryTimeline(destination));
  }

  // Receiver behaviour set at run time per profile index (JSON as the control
  // endpoint shows it), replacing the record's.
  async receiverOverrides(): Promise<Map<number, string>> {
    const h = await this.hashOf(this.keys.receivers);
    return new Map(Object.entries(h).map(([profile, json]) => [Number(profile), json]));
  }

  async setReceiverOverride(profile: number, json: string): Promise<void> {
    await this.redis.command(["HSET", this.keys.receivers, profile, json]);
    await this.redis.command(["EXPIRE", this.keys.receivers, this.ttlSeconds, "NX"]);
  }
}

// The profile of a run-wide destination index; throws for one the run does not have.
export function profileAt(record: Pick<RunRecord, "profiles" | "testId">, destination: number): RunProfile {
  const p = profileOfDestination(record.profiles, destination);
  if (p === null) throw new Error(`run ${record.testId} has no destination ${destination}`);
  return p;
}
