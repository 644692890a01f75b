// What a run was made against. Outpost's /healthz answers {status, timestamp, workers}
// (internal/services/health.go); the project's Outpost fake (test/support/outpost-fake) adds a
// `fake` field saying what it is, so a report made against it can say so on its first lines.
export interface OutpostTarget {
  // null: /healthz carried no `fake` field (Outpost); else the fake's own description.
  fake: string | null;
}

export const FAKE_TARGET = "against the Outpost fake (test/support/outpost-fake), not Outpost";

export function targetFromHealth(body: string): OutpostTarget {
  let fake: unknown;
  try {
    fake = (JSON.parse(body) as { fake?: unknown } | null)?.fake;
  } catch {
    fake = undefined;
  }
  return { fake: typeof fake === "string" && fake !== "" ? fake : null };
}

// One line for reports. A run record written before targets were recorded has none.
export function targetText(target: OutpostTarget | undefined, outpostUrl: string): string {
  if (target === undefined) return `against ${outpostUrl} (what answered there was not recorded)`;
  return target.fake === null ? `against Outpost at ${outpostUrl}` : FAKE_TARGET;
}
