import { destinationId, layoutProfiles, type ProfileShape, tenantId } from "../../src/runstate/identity";
import type { RunProfile, RunRecord } from "../../src/runstate/record";

// The run's profiles as setup lays them out, with a profile's defaults where not given.
export function testProfiles(shapes: Array<ProfileShape & Partial<RunProfile>>): RunProfile[] {
  return layoutProfiles(shapes).map((l, i) => ({
    topic: "loadtest.event",
    retry: false,
    payloadBytes: 1024,
    peakRate: 10,
    plannedEvents: 0,
    plannedEndMs: 0,
    receiver: null,
    ...shapes[i],
    ...l,
  }));
}

// A run record for tests, secrets included (as the real one has): T tenants x D
// destinations in one unnamed profile (retry: its RETRY), or the given profiles.
export function testRunRecord(
  testId: string,
  tenants: number,
  destinationsPerTenant: number,
  { retry = false, ...over }: Partial<RunRecord> & { retry?: boolean } = {},
): RunRecord {
  const startedAtMs = 1_700_000_000_000;
  const profiles = over.profiles ?? testProfiles([{ name: "", tenants, destinationsPerTenant, retry }]);
  const owner = (d: number): RunProfile =>
    profiles.find((p) => d >= p.firstDestination && d < p.firstDestination + p.tenants * p.destinationsPerTenant) ??
    profiles[0];
  const destinations = profiles.flatMap((p) =>
    Array.from({ length: p.tenants * p.destinationsPerTenant }, (_, j) => p.firstDestination + j),
  );
  return {
    version: 4,
    testId,
    startedAtMs,
    warmupEndsAtMs: startedAtMs,
    profiles,
    plannedEvents: 0,
    plannedEndMs: startedAtMs + 10_000,
    latencyWindows: { windowMs: 10_000, steps: [] },
    outpostUrl: "http://127.0.0.1:3333",
    settings: {},
    budget: null,
    tenants: profiles.flatMap((p) =>
      Array.from({ length: p.tenants }, (_, t) => tenantId(testId, p, p.firstTenant + t)),
    ),
    destinations: destinations.map((d) => {
      const p = owner(d);
      return {
        index: d,
        tenant: p.firstTenant + Math.floor((d - p.firstDestination) / p.destinationsPerTenant),
        id: destinationId(testId, p, d),
        url: `http://127.0.0.1:48080/webhook/${testId}/${d}`,
        secret: `whsec_secret${d}`,
      };
    }),
    ...over,
  };
}

// A run that started now and is still in progress (its planned end ten minutes away).
export function inProgressRunRecord(
  testId: string,
  tenants: number,
  destinationsPerTenant: number,
  over: Partial<RunRecord> & { retry?: boolean } = {},
): RunRecord {
  const now = Date.now();
  return testRunRecord(testId, tenants, destinationsPerTenant, {
    startedAtMs: now,
    warmupEndsAtMs: now,
    plannedEndMs: now + 600_000,
    ...over,
  });
}
