import { destinationCount, destinationId, tenantId } from "../../src/runstate/identity";
import type { RunRecord } from "../../src/runstate/record";

// A run record for tests: T tenants x D destinations, secrets included (as the real one has).
export function testRunRecord(
  testId: string,
  tenants: number,
  destinationsPerTenant: number,
  over: Partial<RunRecord> = {},
): RunRecord {
  const shape = { tenants, destinationsPerTenant };
  const startedAtMs = 1_700_000_000_000;
  return {
    version: 3,
    testId,
    startedAtMs,
    warmupEndsAtMs: startedAtMs,
    shape,
    plannedEvents: 0,
    plannedEndMs: startedAtMs + 10_000,
    latencyWindows: { windowMs: 10_000, steps: [] },
    retry: false,
    topic: "loadtest.event",
    outpostUrl: "http://127.0.0.1:3333",
    settings: {},
    tenants: Array.from({ length: tenants }, (_, t) => tenantId(testId, t)),
    destinations: Array.from({ length: destinationCount(shape) }, (_, d) => ({
      index: d,
      tenant: Math.floor(d / destinationsPerTenant),
      id: destinationId(testId, d),
      url: `http://127.0.0.1:48080/webhook/${testId}/${d}`,
      secret: `whsec_secret${d}`,
    })),
    ...over,
  };
}
