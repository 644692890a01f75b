import { fail, redactUrl } from "../config/env";
import { publicThroughputSettings, type ThroughputSettings } from "../config/throughput-settings";
import type { OutpostClient } from "../outpost/client";
import type { Clock } from "../ports";
import {
  destinationCount,
  destinationId,
  destinationPath,
  type RunShape,
  tenantId,
  tenantOfDestination,
} from "../runstate/identity";
import type { RunDestination, RunRecord } from "../runstate/record";
import type { RunStateStore } from "../runstate/store";
import { latencyWindowPlan } from "./latency-window-plan";
import { plannedEvents, scenarioForLoad } from "./load-profile";
import { mapLimit } from "./map-limit";

export interface ProvisionDeps {
  outpost: OutpostClient;
  store: RunStateStore;
  clock: Clock;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

// A TEST_ID names one run: another shape, topic or retry mode under it would
// corrupt its ledger.
function ensureSameRun(stored: RunRecord, s: ThroughputSettings, shape: RunShape): void {
  const same =
    stored.shape.tenants === shape.tenants &&
    stored.shape.destinationsPerTenant === shape.destinationsPerTenant &&
    stored.topic === s.topic &&
    stored.retry === s.retry;
  if (!same) {
    const held = `TENANTS=${stored.shape.tenants}, DESTINATIONS_PER_TENANT=${stored.shape.destinationsPerTenant}, TOPIC=${stored.topic}, RETRY=${stored.retry}`;
    fail("TEST_ID", stored.testId, `a new TEST_ID: this one already holds a run with ${held}`);
  }
}

async function provisionDestinations(
  deps: ProvisionDeps,
  s: ThroughputSettings,
  testId: string,
  shape: RunShape,
): Promise<RunDestination[]> {
  await mapLimit(range(shape.tenants), s.provisionConcurrency, (t) => deps.outpost.upsertTenant(tenantId(testId, t)));
  return mapLimit(range(destinationCount(shape)), s.provisionConcurrency, async (index) => {
    const tenant = tenantOfDestination(shape, index);
    const spec = {
      id: destinationId(testId, index),
      url: `${s.mockDestinationUrl}${destinationPath(testId, index)}`,
      topics: [s.topic],
    };
    const d = await deps.outpost.createDestination(tenantId(testId, tenant), spec);
    return { index, tenant, id: d.id, url: d.url, secret: d.secret };
  });
}

// Creates the run's tenants and destinations in Outpost and writes the run
// record. Safe on every k6-operator runner at once: Outpost calls are
// idempotent, the record's first writer wins, and a runner arriving after the
// record exists reuses it.
export async function provisionRun(
  deps: ProvisionDeps,
  s: ThroughputSettings,
  testId: string,
): Promise<{ record: RunRecord; created: boolean }> {
  const shape: RunShape = { tenants: s.tenants, destinationsPerTenant: s.destinationsPerTenant };
  const existing = await deps.store.loadRunRecord();
  if (existing !== null) {
    ensureSameRun(existing, s, shape);
    if ((await deps.store.runEnd()).endedAtMs !== null) {
      fail("TEST_ID", testId, "a new TEST_ID (or none, to generate one): this run has already ended");
    }
    return { record: existing, created: false };
  }
  const destinations = await provisionDestinations(deps, s, testId, shape);
  const target = await deps.outpost.target();
  const startedAtMs = Math.round(deps.clock.now());
  const record: RunRecord = {
    version: 3,
    testId,
    startedAtMs,
    warmupEndsAtMs: startedAtMs + s.load.warmupMs,
    shape,
    plannedEvents: plannedEvents(scenarioForLoad(s.load)),
    plannedEndMs: startedAtMs + s.load.durationMs,
    latencyWindows: latencyWindowPlan(s.load),
    retry: s.retry,
    topic: s.topic,
    outpostUrl: redactUrl(s.outpostUrl),
    target,
    settings: publicThroughputSettings(s),
    tenants: range(shape.tenants).map((t) => tenantId(testId, t)),
    destinations,
  };
  const result = await deps.store.createRunRecord(record);
  if (!result.created) ensureSameRun(result.record, s, shape);
  return result;
}
