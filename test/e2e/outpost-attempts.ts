import { NodeHttpPort } from "../../adapters/node/http";
import { profileOfDestination } from "../../src/runstate/identity";
import type { VerifyReport } from "../../src/verify/report";
import { pair } from "./checks";
import type { E2eTarget } from "./target";

// What Outpost itself recorded of a run's delivery attempts, a source independent of the mock
// and of the run state: its log store through GET /api/v1/attempts?tenant_id=… (cursor `next`,
// at most 1000 a page; internal/apirouter/log_handlers.go ListAttempts), or the in-process
// fake's own record (the fake does not model that route).

export interface LoggedAttempt {
  attempt: number;
  success: boolean;
  code: string;
}

// How each delivery (event x destination) ended in Outpost's log.
export interface DeliveryOutcomes {
  // An attempt succeeded.
  delivered: string[];
  // Every attempt failed and there were as many as Outpost makes: it gave up by design.
  gaveUp: string[];
  // Every attempt failed, fewer than Outpost makes, and none is coming: a retry Outpost
  // scheduled was lost (see docs/e2e.md, "retries lost after a fast failure").
  retryLost: string[];
  attempts: number;
}

const http = new NodeHttpPort();

interface ApiAttempt {
  event_id: string;
  destination_id: string;
  attempt_number: number;
  status: string;
  code: string;
}

async function fromApi(target: E2eTarget, tenants: string[]): Promise<ApiAttempt[] | null> {
  const out: ApiAttempt[] = [];
  for (const tenant of tenants) {
    let next: string | undefined;
    do {
      const q = new URLSearchParams({ tenant_id: tenant, limit: "1000", ...(next ? { next } : {}) });
      const res = await http.request({
        method: "GET",
        url: `${target.url}/api/v1/attempts?${q}`,
        headers: target.apiKey ? { Authorization: `Bearer ${target.apiKey}` } : {},
        timeoutMs: 15_000,
      });
      if (res.status === 501) return null; // a fake process: no log store to read
      if (res.status !== 200) throw new Error(`GET /api/v1/attempts: ${res.status} ${res.body.slice(0, 200)}`);
      const page = JSON.parse(res.body) as { models: ApiAttempt[]; pagination: { next?: string | null } };
      out.push(...page.models);
      next = page.pagination.next ?? undefined;
    } while (next);
  }
  return out;
}

// Null when the target keeps no log to read (the fake run as a process).
export async function loggedOutcomes(target: E2eTarget, report: VerifyReport): Promise<DeliveryOutcomes | null> {
  const testId = report.testId;
  await new Promise((r) => setTimeout(r, target.logSettleMs));
  const rows: ApiAttempt[] | null =
    target.fake !== undefined
      ? target.fake.attempts
          .filter((a) => a.eventId.startsWith(`${testId}_`))
          .map((a) => ({
            event_id: a.eventId,
            destination_id: a.destinationId,
            attempt_number: a.attempt,
            status: a.status,
            code: a.code,
          }))
      : await fromApi(target, report.run.tenants);
  if (rows === null) return null;
  const index = new Map(report.run.destinations.map((d) => [d.id, d.index]));
  const byDelivery = new Map<string, LoggedAttempt[]>();
  // Attempts Outpost makes per event of the delivery's profile.
  const attemptsAllowed = new Map<string, number>();
  for (const a of rows) {
    const destination = index.get(a.destination_id) ?? -1;
    const key = pair({ eventId: a.event_id, destination });
    const list = byDelivery.get(key) ?? [];
    list.push({ attempt: a.attempt_number, success: a.status === "success", code: a.code });
    byDelivery.set(key, list);
    attemptsAllowed.set(key, profileOfDestination(report.run.profiles, destination)?.retry ? target.maxAttempts : 1);
  }
  const out: DeliveryOutcomes = { delivered: [], gaveUp: [], retryLost: [], attempts: rows.length };
  for (const [key, list] of byDelivery) {
    if (list.some((a) => a.success)) out.delivered.push(key);
    else if (Math.max(...list.map((a) => a.attempt)) >= (attemptsAllowed.get(key) ?? 1)) out.gaveUp.push(key);
    else out.retryLost.push(key);
  }
  for (const k of ["delivered", "gaveUp", "retryLost"] as const) out[k].sort(byEventThenDestination);
  return out;
}

// The order verify lists undelivered events in: by sequence number, then destination.
export function byEventThenDestination(a: string, b: string): number {
  const parse = (k: string): [number, number] => {
    const m = /_(\d+)@d(\d+)$/.exec(k);
    return m ? [Number(m[1]), Number(m[2])] : [-1, -1];
  };
  const [sa, da] = parse(a);
  const [sb, db] = parse(b);
  return sa - sb || da - db;
}
