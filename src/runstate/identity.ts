// Event, tenant and destination identity, and the routing of events to tenants.
// Routing is a pure function of the sequence number so verify can compute every
// expected delivery without per-event routing state.

export const TEST_ID_PATTERN = /^[A-Za-z0-9-]{1,48}$/;

// Event metadata key carrying t0 (ms since the epoch) from k6 to the mock:
// Outpost turns each metadata key into a header, here x-outpost-lt-t0.
export const T0_METADATA_KEY = "lt-t0";
export const T0_HEADER = `x-outpost-${T0_METADATA_KEY}`;

export interface RunShape {
  tenants: number;
  destinationsPerTenant: number;
}

// "_" cannot occur in a TEST_ID, so the last "_" always separates the sequence.
export function eventId(testId: string, seq: number): string {
  return `${testId}_${seq}`;
}

export function parseEventId(id: string): { testId: string; seq: number } | null {
  const cut = id.lastIndexOf("_");
  if (cut <= 0) return null;
  const testId = id.slice(0, cut);
  const digits = id.slice(cut + 1);
  if (!TEST_ID_PATTERN.test(testId) || !/^(0|[1-9][0-9]{0,14})$/.test(digits)) return null;
  return { testId, seq: Number(digits) };
}

export function tenantOfSeq(shape: RunShape, seq: number): number {
  return seq % shape.tenants;
}

// Position of an event inside its tenant's bitmaps: dense per tenant.
export function localIndexOfSeq(shape: RunShape, seq: number): number {
  return Math.floor(seq / shape.tenants);
}

export function seqOf(shape: RunShape, tenant: number, localIndex: number): number {
  return localIndex * shape.tenants + tenant;
}

export function tenantId(testId: string, tenant: number): string {
  return `${testId}-t${tenant}`;
}

// Destinations are numbered globally: tenant t owns t*D .. t*D+D-1.
export function destinationIndexes(shape: RunShape, tenant: number): number[] {
  const first = tenant * shape.destinationsPerTenant;
  return Array.from({ length: shape.destinationsPerTenant }, (_, j) => first + j);
}

export function tenantOfDestination(shape: RunShape, destination: number): number {
  return Math.floor(destination / shape.destinationsPerTenant);
}

export function destinationCount(shape: RunShape): number {
  return shape.tenants * shape.destinationsPerTenant;
}

export function destinationId(testId: string, destination: number): string {
  return `${testId}-d${destination}`;
}

// The path the mock serves for one destination; the mock learns the run and
// destination from it, the event from the event-id header.
export function destinationPath(testId: string, destination: number): string {
  return `/webhook/${testId}/${destination}`;
}

export function parseDestinationPath(path: string): { testId: string; destination: number } | null {
  const m = /^\/webhook\/([A-Za-z0-9-]{1,48})\/(0|[1-9][0-9]{0,6})(?:\?.*)?$/.exec(path);
  return m ? { testId: m[1], destination: Number(m[2]) } : null;
}
