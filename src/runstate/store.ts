import type { RedisPort, RedisReply } from "../ports";
import { type Histogram, histogramFromHash, mergeHistograms } from "./histogram";
import { destinationIndexes, localIndexOfSeq, seqOf, tenantOfDestination, tenantOfSeq } from "./identity";
import { DEFAULT_RUN_TTL_SECONDS, type RunKeys, runKeys, type Stage, STAGES } from "./keys";
import { parseRunRecord, type RunRecord } from "./record";
import { FAULT, LEDGER, PROGRESS, PUBLISH_ACCEPTED, PUBLISH_NOT_ACCEPTED, RECEIPT, RUN_END } from "./scripts";
import { ScriptRunner } from "./script-runner";

export type SignatureStatus = "ok" | "bad" | "missing" | "unchecked";

export interface PublishOutcome {
  seq: number;
  t0Ms: number;
  // Publish acknowledged (k6 measures it; ms precision).
  t2Ms: number;
}

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
}

export interface DestinationLedger {
  destination: number;
  accepted: number;
  received: number;
  delivered: number;
  missing: number;
  inFlight: number;
  faulted: number;
  deliveredUnacknowledged: number;
  unknown: number;
  missingSeqs: number[];
  inFlightSeqs: number[];
  // Faulted, undelivered, and every attempt Outpost makes got an injected fault.
  exhausted: number;
  exhaustedSeqs: number[];
  // False when too many events were in flight to look at each (EXHAUSTED_SPLIT_LIMIT).
  exhaustedSplitDone: boolean;
}

// What the publish path needs of a record: setup hands this (no secrets) to the VUs.
export type RunTiming = Pick<RunRecord, "shape" | "startedAtMs" | "warmupEndsAtMs">;

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

  async loadRunRecord(): Promise<RunRecord | null> {
    const json = await this.redis.command(["GET", this.keys.record]);
    return json === null ? null : parseRunRecord(String(json));
  }

  async markRunEnded(endedAtMs: number): Promise<void> {
    await this.scripts.run(RUN_END, [this.keys.end], [this.ttlSeconds, Math.round(endedAtMs)]);
  }

  async runEnd(): Promise<{ endedAtMs: number | null; teardowns: number }> {
    const h = hashFields(await this.redis.command(["HGETALL", this.keys.end]));
    return { endedAtMs: h.endedAtMs ? Number(h.endedAtMs) : null, teardowns: Number(h.teardowns ?? 0) };
  }

  // Returns false when the sequence had already been accepted (harness anomaly).
  async recordPublishAccepted(record: RunTiming, ev: PublishOutcome): Promise<boolean> {
    const tenant = tenantOfSeq(record.shape, ev.seq);
    const k = this.keys;
    const keys = [
      k.accepted(tenant),
      k.rejected(tenant),
      k.publishedAt(tenant),
      k.publish,
      k.latency(),
      k.timeline("publish"),
    ];
    for (const d of destinationIndexes(record.shape, tenant)) keys.push(k.attemptAt(d), k.latency(d));
    const reply = await this.scripts.run(PUBLISH_ACCEPTED, keys, [
      this.ttlSeconds,
      localIndexOfSeq(record.shape, ev.seq),
      Math.max(0, Math.round(ev.t2Ms - record.startedAtMs)),
      Math.max(0, Math.round((ev.t2Ms - ev.t0Ms) * 1000)),
      Math.floor(ev.t2Ms / 1000),
      inWarmup(record, ev.t0Ms) ? 0 : 1,
    ]);
    return asNumber(reply) === 1;
  }

  // reason: "duplicate" (Outpost said duplicate:true), "rejected:<status>", "error:<kind>".
  async recordPublishNotAccepted(record: RunTiming, seq: number, reason: string): Promise<void> {
    const tenant = tenantOfSeq(record.shape, seq);
    await this.scripts.run(
      PUBLISH_NOT_ACCEPTED,
      [this.keys.rejected(tenant), this.keys.publish],
      [this.ttlSeconds, localIndexOfSeq(record.shape, seq), reason],
    );
  }

  async countPublish(field: string, by = 1): Promise<void> {
    await this.redis.command(["HINCRBY", this.keys.publish, field, by]);
    await this.redis.command(["EXPIRE", this.keys.publish, this.ttlSeconds, "NX"]);
  }

  // Returns true for the first delivery of the event to the destination, false for a duplicate.
  async recordReceipt(record: RunRecord, r: Receipt): Promise<boolean> {
    const tenant = tenantOfSeq(record.shape, r.seq);
    const k = this.keys;
    const d = r.destination;
    const us = (ms: number | undefined): number => (ms === undefined ? -1 : Math.max(0, Math.round(ms * 1000)));
    const sample = r.t0Ms === undefined || !inWarmup(record, r.t0Ms);
    const reply = await this.scripts.run(
      RECEIPT,
      [k.receipts(d), k.destination(d), k.latency(d), k.timeline(`d${d}`), k.publishedAt(tenant), k.attemptAt(d)],
      [
        this.ttlSeconds,
        localIndexOfSeq(record.shape, r.seq),
        r.taMs === undefined ? -1 : us(r.t3Ms - r.taMs),
        r.t0Ms === undefined ? -1 : us(r.t3Ms - r.t0Ms),
        Math.floor(r.t3Ms / 1000),
        r.taMs === undefined || r.taMs < record.startedAtMs ? -1 : Math.round(r.taMs - record.startedAtMs),
        sample ? 1 : 0,
        r.signature,
      ],
    );
    return asNumber(reply) === 1;
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
      [this.ttlSeconds, localIndexOfSeq(record.shape, seq), kind, signature],
    );
  }

  // A delivery the harness cannot place: unknown run, bad event id, wrong tenant...
  async recordAnomaly(reason: string): Promise<void> {
    await this.redis.command(["HINCRBY", this.keys.anomalies, reason, 1]);
    await this.redis.command(["EXPIRE", this.keys.anomalies, this.ttlSeconds, "NX"]);
  }

  async progress(record: RunRecord): Promise<{ expected: number; delivered: number }> {
    const keys: string[] = [];
    for (let t = 0; t < record.shape.tenants; t++) keys.push(this.keys.accepted(t));
    for (const d of record.destinations) keys.push(this.keys.destination(d.index));
    const reply = flatStrings(
      await this.scripts.run(PROGRESS, keys, [
        this.ttlSeconds,
        record.shape.tenants,
        record.shape.destinationsPerTenant,
      ]),
    );
    return { expected: Number(reply[0]), delivered: Number(reply[1]) };
  }

  // maxAttempts: Outpost's attempts per event (1 when RETRY is off), or 0 when
  // unknown; it separates retries still pending from retries used up.
  async destinationLedger(
    record: RunRecord,
    destination: number,
    listCap: number,
    maxAttempts = 0,
  ): Promise<DestinationLedger> {
    const tenant = tenantOfDestination(record.shape, destination);
    const k = this.keys;
    const scratch = ["ones", "a", "b", "c", "e"].map((n) => k.scratch(`${n}:${destination}`));
    const reply = await this.scripts.run(
      LEDGER,
      [
        k.accepted(tenant),
        k.rejected(tenant),
        k.receipts(destination),
        k.faulted(destination),
        k.faultCount(destination),
        ...scratch,
      ],
      [this.ttlSeconds, listCap, record.retry ? 1 : 0, maxAttempts],
    );
    if (!Array.isArray(reply)) throw new Error("ledger script: unexpected reply");
    const n = (i: number): number => Number(reply[i]);
    const seqs = (i: number): number[] => flatStrings(reply[i]).map((l) => seqOf(record.shape, tenant, Number(l)));
    return {
      destination,
      accepted: n(0),
      received: n(1),
      delivered: n(2),
      missing: n(3),
      inFlight: n(4),
      faulted: n(5),
      deliveredUnacknowledged: n(6),
      unknown: n(7),
      missingSeqs: seqs(8),
      inFlightSeqs: seqs(9),
      exhausted: n(10),
      exhaustedSeqs: seqs(11),
      exhaustedSplitDone: n(12) === 1,
    };
  }

  async counters(key: string): Promise<Record<string, number>> {
    const h = hashFields(await this.redis.command(["HGETALL", key]));
    const out: Record<string, number> = {};
    for (const [f, v] of Object.entries(h)) out[f] = Number(v);
    return out;
  }

  private async latencyFields(destination?: number): Promise<Record<string, string>> {
    return hashFields(await this.redis.command(["HGETALL", this.keys.latency(destination)]));
  }

  async histogram(stage: Stage, destination?: number): Promise<Histogram> {
    return histogramFromHash(await this.latencyFields(destination), stage);
  }

  // Every stage merged across destinations (publish has only the run-wide
  // hash). One destination's stages share a hash, so each is read once.
  async stageHistograms(record: RunRecord): Promise<Record<Stage, Histogram>> {
    const runWide = await this.latencyFields();
    const perDestination = await Promise.all(record.destinations.map((d) => this.latencyFields(d.index)));
    const out = {} as Record<Stage, Histogram>;
    for (const stage of STAGES) {
      out[stage] =
        stage === "publish"
          ? histogramFromHash(runWide, stage)
          : mergeHistograms(perDestination.map((f) => histogramFromHash(f, stage)));
    }
    return out;
  }

  // Sorted [epochSecond, count] pairs.
  async timeline(series: string): Promise<Array<[number, number]>> {
    const c = await this.counters(this.keys.timeline(series));
    return Object.entries(c)
      .map(([s, n]) => [Number(s), n] as [number, number])
      .sort((a, b) => a[0] - b[0]);
  }
}
