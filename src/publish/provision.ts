import type { ConcurrencyBudget } from "../budget/concurrency-budget";
import { fail, redactUrl } from "../config/env";
import { peakRate, publicThroughputSettings, type ThroughputSettings } from "../config/throughput-settings";
import type { OutpostClient } from "../outpost/client";
import type { Clock } from "../ports";
import {
  destinationId,
  destinationIndexes,
  destinationPath,
  layoutProfiles,
  type ProfileLayout,
  tenantId,
} from "../runstate/identity";
import type { RunDestination, RunProfile, RunRecord } from "../runstate/record";
import type { RunStateStore } from "../runstate/store";
import { latencyWindowPlan } from "./latency-window-plan";
import { plannedEvents, scenarioForLoad } from "./load-profile";
import { mapLimit } from "./map-limit";

export interface ProvisionDeps {
  outpost: OutpostClient;
  store: RunStateStore;
  clock: Clock;
}

function range(first: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => first + i);
}

// The settings that decide what a TEST_ID's ledger means, for comparison and display.
function heldText(profiles: Array<Pick<RunProfile, "name" | "tenants" | "destinationsPerTenant" | "topic" | "retry">>) {
  return profiles
    .map(
      (p) =>
        `${p.name === "" ? "" : `profile ${p.name}: `}TENANTS=${p.tenants}, DESTINATIONS_PER_TENANT=${p.destinationsPerTenant}, TOPIC=${p.topic}, RETRY=${p.retry}`,
    )
    .join("; ");
}

// A TEST_ID names one run: other profiles, shapes, topics or retry modes under
// it would corrupt its ledger.
function ensureSameRun(stored: RunRecord, s: ThroughputSettings): void {
  const held = heldText(stored.profiles);
  if (held !== heldText(s.profiles))
    fail("TEST_ID", stored.testId, `a new TEST_ID: this one already holds a run with ${held}`);
}

async function provisionDestinations(
  deps: ProvisionDeps,
  s: ThroughputSettings,
  testId: string,
  layout: ProfileLayout[],
): Promise<RunDestination[]> {
  const tenants = layout.flatMap((p) => range(p.firstTenant, p.tenants).map((t) => ({ p, t })));
  await mapLimit(tenants, s.provisionConcurrency, ({ p, t }) => deps.outpost.upsertTenant(tenantId(testId, p, t)));
  const destinations = tenants.flatMap(({ p, t }) => destinationIndexes(p, t).map((index) => ({ p, t, index })));
  return mapLimit(destinations, s.provisionConcurrency, async ({ p, t, index }) => {
    const spec = {
      id: destinationId(testId, p, index),
      url: `${s.mockDestinationUrl}${destinationPath(testId, index)}`,
      topics: [s.profiles[p.index].topic],
    };
    const d = await deps.outpost.createDestination(tenantId(testId, p, t), spec);
    return { index, tenant: t, id: d.id, url: d.url, secret: d.secret };
  });
}

function runProfiles(s: ThroughputSettings, layout: ProfileLayout[], startedAtMs: number): RunProfile[] {
  return layout.map((l) => {
    const p = s.profiles[l.index];
    return {
      ...l,
      topic: p.topic,
      retry: p.retry,
      payloadBytes: p.payloadBytes,
      peakRate: peakRate(p.load),
      plannedEvents: plannedEvents(scenarioForLoad(p.load)),
      plannedEndMs: startedAtMs + p.load.durationMs,
      receiver: p.receiver,
    };
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
  budget: ConcurrencyBudget | null = null,
): Promise<{ record: RunRecord; created: boolean }> {
  const existing = await deps.store.loadRunRecord();
  if (existing !== null) {
    ensureSameRun(existing, s);
    if ((await deps.store.runEnd()).endedAtMs !== null) {
      fail("TEST_ID", testId, "a new TEST_ID (or none, to generate one): this run has already ended");
    }
    return { record: existing, created: false };
  }
  const layout = layoutProfiles(s.profiles);
  const destinations = await provisionDestinations(deps, s, testId, layout);
  const target = await deps.outpost.target();
  const startedAtMs = Math.round(deps.clock.now());
  const profiles = runProfiles(s, layout, startedAtMs);
  const record: RunRecord = {
    version: 4,
    testId,
    startedAtMs,
    warmupEndsAtMs: startedAtMs + s.warmupMs,
    profiles,
    plannedEvents: profiles.reduce((n, p) => n + p.plannedEvents, 0),
    plannedEndMs: Math.max(...profiles.map((p) => p.plannedEndMs)),
    latencyWindows: latencyWindowPlan(s.profiles.map((p) => p.load)),
    outpostUrl: redactUrl(s.outpostUrl),
    target,
    settings: publicThroughputSettings(s),
    budget,
    tenants: layout.flatMap((p) => range(p.firstTenant, p.tenants).map((t) => tenantId(testId, p, t))),
    destinations,
  };
  const result = await deps.store.createRunRecord(record);
  if (!result.created) ensureSameRun(result.record, s);
  return result;
}
