import type { ServerResponse } from "node:http";
import type { RedisPort } from "../src/ports";
import { destinationIndexes, localIndexOfSeq, parseEventId, tenantOfSeq } from "../src/runstate/identity";
import { profileNamed, publicRunRecord } from "../src/runstate/record";
import { addCounts } from "../src/runstate/store";
import type { RecentAttempts } from "./recent";
import { sendError, sendJson } from "./respond";
import type { RunCache } from "./runs";

export interface ReadDeps {
  redis: RedisPort;
  runs: RunCache;
  recent: RecentAttempts;
}

// GET /events/:id: what Redis knows for every destination the event should
// reach (true across workers and replicas) plus the attempts this process saw.
export async function readEvent(deps: ReadDeps, res: ServerResponse, eventIdText: string): Promise<void> {
  const recent = deps.recent.get(eventIdText);
  const id = parseEventId(eventIdText);
  const cached = id === null ? null : await deps.runs.get(id.testId);
  const profile =
    id === null || cached === null || cached.record === null ? null : profileNamed(cached.record, id.profile);
  if (id === null || cached === null || cached.record === null || profile === null) {
    if (recent.length === 0) return sendError(res, 404, "unknown event: no run record and no recent attempt");
    return sendJson(res, 200, { id: eventIdText, recent });
  }
  const { store } = cached;
  const tenant = tenantOfSeq(profile, id.seq);
  const local = localIndexOfSeq(profile, id.seq);
  const bit = async (key: string): Promise<boolean> => Number(await deps.redis.command(["GETBIT", key, local])) === 1;
  const destinations = await Promise.all(
    destinationIndexes(profile, tenant).map(async (d) => ({
      destination: d,
      received: await bit(store.keys.receipts(d)),
      faulted: await bit(store.keys.faulted(d)),
    })),
  );
  return sendJson(res, 200, {
    id: eventIdText,
    testId: id.testId,
    profile: id.profile,
    seq: id.seq,
    tenant,
    destinations,
    recent,
  });
}

// GET /runs/:testId: the run's counters from Redis, summed over destinations; no secrets.
export async function readRun(deps: ReadDeps, res: ServerResponse, testId: string): Promise<void> {
  const cached = await deps.runs.get(testId);
  const anomalies = await cached.store.counters(cached.store.keys.anomalies);
  if (cached.record === null) return sendJson(res, 404, { testId, error: "no run record", anomalies });
  const { record, store } = cached;
  const deliveries: Record<string, number> = {};
  const perDestination = await Promise.all(
    record.destinations.map((d) => store.counters(store.keys.destination(d.index))),
  );
  for (const c of perDestination) addCounts(deliveries, c);
  const { destinations: _d, tenants: _t, ...run } = publicRunRecord(record);
  return sendJson(res, 200, {
    run: { ...run, tenants: record.tenants.length, destinations: record.destinations.length },
    progress: await store.progress(record),
    publish: await store.publishCounters(record.profiles),
    deliveries,
    anomalies,
    end: await store.runEnd(),
  });
}

export async function readHealth(deps: ReadDeps, res: ServerResponse): Promise<void> {
  try {
    await deps.redis.command(["PING"]);
    sendJson(res, 200, { status: "ok" });
  } catch {
    sendJson(res, 503, { status: "redis unreachable" });
  }
}
