// Event, tenant and destination identity, and the routing of events to tenants.
// A run holds one or more traffic profiles; each is a k6 scenario of its own,
// whose iteration counter (the sequence number) starts at 0. Routing is a pure
// function of (profile, sequence number), so verify can compute every expected
// delivery without per-event routing state.

export const TEST_ID_PATTERN = /^[A-Za-z0-9-]{1,48}$/;
// A profile name becomes part of event, tenant and destination ids and of the k6
// scenario name: no "_" (it separates the parts of an event id).
export const PROFILE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,23}$/;
export const PROFILE_NAME_ACCEPTS = "1 to 24 lower-case letters, digits or '-', starting with a letter";

// Event metadata key carrying t0 (ms since the epoch) from k6 to the mock:
// Outpost turns each metadata key into a header, here x-outpost-lt-t0.
export const T0_METADATA_KEY = "lt-t0";
export const T0_HEADER = `x-outpost-${T0_METADATA_KEY}`;

export interface ProfileShape {
  // "" for the one profile of a run configured by environment variables alone:
  // its ids carry no profile part (they read as before profiles existed).
  name: string;
  tenants: number;
  destinationsPerTenant: number;
}

// Tenants and destinations are numbered across the run, profile after profile:
// profile p owns tenants firstTenant .. firstTenant+tenants-1 and destinations
// firstDestination .. firstDestination+tenants*destinationsPerTenant-1.
export interface ProfileLayout extends ProfileShape {
  index: number;
  firstTenant: number;
  firstDestination: number;
}

export function layoutProfiles(shapes: readonly ProfileShape[]): ProfileLayout[] {
  let firstTenant = 0;
  let firstDestination = 0;
  return shapes.map((s, index) => {
    const p = { ...s, index, firstTenant, firstDestination };
    firstTenant += s.tenants;
    firstDestination += s.tenants * s.destinationsPerTenant;
    return p;
  });
}

export function tenantCount(profiles: readonly ProfileShape[]): number {
  return profiles.reduce((n, p) => n + p.tenants, 0);
}

export function destinationCount(profiles: readonly ProfileShape[]): number {
  return profiles.reduce((n, p) => n + p.tenants * p.destinationsPerTenant, 0);
}

// How the profile appears in ids: nothing for the unnamed profile.
function tag(p: Pick<ProfileShape, "name">, separator: string): string {
  return p.name === "" ? "" : `${separator}${p.name}`;
}

// "_" occurs neither in a TEST_ID nor in a profile name, so it splits the parts:
// TEST_ID_seq (unnamed profile) or TEST_ID_profile_seq.
export function eventId(testId: string, p: Pick<ProfileShape, "name">, seq: number): string {
  return `${testId}${tag(p, "_")}_${seq}`;
}

export function parseEventId(id: string): { testId: string; profile: string; seq: number } | null {
  const parts = id.split("_");
  if (parts.length < 2 || parts.length > 3) return null;
  const testId = parts[0];
  const profile = parts.length === 3 ? parts[1] : "";
  const digits = parts[parts.length - 1];
  if (!TEST_ID_PATTERN.test(testId) || !/^(0|[1-9][0-9]{0,14})$/.test(digits)) return null;
  if (profile !== "" && !PROFILE_NAME_PATTERN.test(profile)) return null;
  return { testId, profile, seq: Number(digits) };
}

// The run-wide index of the event's tenant.
export function tenantOfSeq(p: ProfileLayout, seq: number): number {
  return p.firstTenant + (seq % p.tenants);
}

// Position of an event inside its tenant's bitmaps: dense per tenant.
export function localIndexOfSeq(p: ProfileLayout, seq: number): number {
  return Math.floor(seq / p.tenants);
}

export function seqOf(p: ProfileLayout, tenant: number, localIndex: number): number {
  return localIndex * p.tenants + (tenant - p.firstTenant);
}

// Outpost's tenant id; the number is the tenant's place within its profile.
export function tenantId(testId: string, p: ProfileLayout, tenant: number): string {
  return `${testId}${tag(p, "-")}-t${tenant - p.firstTenant}`;
}

// The run-wide indexes of a tenant's destinations, in order.
export function destinationIndexes(p: ProfileLayout, tenant: number): number[] {
  const first = p.firstDestination + (tenant - p.firstTenant) * p.destinationsPerTenant;
  return Array.from({ length: p.destinationsPerTenant }, (_, j) => first + j);
}

export function tenantOfDestination(p: ProfileLayout, destination: number): number {
  return p.firstTenant + Math.floor((destination - p.firstDestination) / p.destinationsPerTenant);
}

// The profile a run-wide destination index belongs to; null when out of range.
export function profileOfDestination<P extends ProfileLayout>(profiles: readonly P[], destination: number): P | null {
  for (const p of profiles) {
    if (destination >= p.firstDestination && destination < p.firstDestination + p.tenants * p.destinationsPerTenant)
      return p;
  }
  return null;
}

// Outpost's destination id; the number is the destination's place within its profile.
export function destinationId(testId: string, p: ProfileLayout, destination: number): string {
  return `${testId}${tag(p, "-")}-d${destination - p.firstDestination}`;
}

// The path the mock serves for one destination (run-wide index); the mock learns
// the run and destination from it, the event from the event-id header.
export function destinationPath(testId: string, destination: number): string {
  return `/webhook/${testId}/${destination}`;
}

export function parseDestinationPath(path: string): { testId: string; destination: number } | null {
  const m = /^\/webhook\/([A-Za-z0-9-]{1,48})\/(0|[1-9][0-9]{0,6})(?:\?.*)?$/.exec(path);
  return m ? { testId: m[1], destination: Number(m[2]) } : null;
}
