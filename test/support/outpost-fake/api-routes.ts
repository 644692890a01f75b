import type { IncomingMessage, ServerResponse } from "node:http";
import { authorized } from "./auth";
import type { DeliveryWorker } from "./delivery-worker";
import { createDestination, destinationJson } from "./destinations";
import { readBody, sendEmpty, sendError, sendJson } from "./http-util";
import type { FakeStore, FakeTenant } from "./model";
import { publish } from "./publish";
import { coercedStringMap, HttpError, parseBody } from "./request-body";
import type { FakeSettings } from "./settings";
import { rfc3339Nano } from "./webhook-request";

// Outpost v1.2.0's HTTP API (routes: internal/apirouter/router.go). Every route Outpost has
// is listed; the ones the fake does not model answer 501 after authentication, so a caller
// learns at once that it talks to the fake. Unknown routes get Outpost's answers (measured).

// Test controls that Outpost does not have: kept on one object the handlers read.
export interface FakeControls {
  // Status of GET /healthz (200 healthy, anything else "failed").
  healthStatus: number;
  // Answer the next publish of these event ids with this status instead of 202.
  failPublish: Map<string, number>;
  // Hold every publish answer this long (a slow Outpost, for k6's dropped iterations).
  publishDelayMs: number;
  // Requests counted by "METHOD /route/:param".
  calls: Map<string, number>;
}

export interface ApiDeps {
  store: FakeStore;
  settings: FakeSettings;
  worker: DeliveryWorker;
  controls: FakeControls;
  // POST /_fake/restart: stop serving and delivering for downMs, then start again.
  restart(downMs: number): void;
}

export const FAKE_NOTICE = "outpost-fake: a test stand-in for Outpost v1.2.0, not Outpost";

// Go's time.Time in JSON: RFC3339 with nanoseconds, trailing zeros trimmed.
const nowText = () => rfc3339Nano(performance.timeOrigin + performance.now());

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  text: string;
  tenant?: FakeTenant;
}

type Handler = (c: Call) => void | Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  auth: boolean;
  // Tenant-scoped (RequireTenant): an unknown tenant is 404 before the handler runs.
  tenant: boolean;
  handle?: Handler;
}

// Tenant-scoped routes (RequireTenant in router.go) are those with :tenant_id, except the upsert.
function route(
  method: string,
  template: string,
  handle?: Handler,
  opts: { auth?: boolean; tenant?: boolean } = {},
): Route {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${template.replace(/:([a-z_]+)/g, (_m, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return {
    method,
    pattern,
    names,
    auth: opts.auth ?? true,
    tenant: opts.tenant ?? names.includes("tenant_id"),
    handle,
  };
}

function tenantJson(store: FakeStore, t: FakeTenant): Record<string, unknown> {
  const destinations = store.tenantDestinations(t.id);
  return {
    id: t.id,
    destinations_count: destinations.length,
    topics: [...new Set(destinations.flatMap((d) => d.topics))].sort(),
    ...(t.metadata && Object.keys(t.metadata).length > 0 ? { metadata: t.metadata } : {}),
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

function healthJson(status: number): Record<string, unknown> {
  const healthy = status === 200;
  const worker = { status: healthy ? "healthy" : "failed" };
  return {
    status: healthy ? "healthy" : "failed",
    timestamp: nowText(),
    workers: {
      "deliverymq-consumer": worker,
      "http-server": worker,
      "logmq-consumer": worker,
      "retrymq-consumer": worker,
    },
    fake: FAKE_NOTICE,
  };
}

// The key of the `calls` counter: ids replaced by :t and :d.
function routeName(path: string): string {
  return path
    .replace(/^\/api\/v1\/tenants\/[^/]+/, "/api/v1/tenants/:t")
    .replace(/\/destinations\/[^/]+/, "/destinations/:d");
}

function buildRoutes(deps: ApiDeps): Route[] {
  const { store, controls } = deps;
  const v1 = "/api/v1";
  const health: Handler = ({ res }) => sendJson(res, controls.healthStatus, healthJson(controls.healthStatus));
  const destinationOf = (c: Call) => store.destination(c.params.tenant_id, c.params.destination_id);
  // Only a change of state touches the destination (destination_handlers.go setDisabilityHandler).
  const toggle =
    (disable: boolean): Handler =>
    (c) => {
      const d = destinationOf(c);
      if (d === undefined) return notFoundText(c.res);
      if (disable !== (d.disabledAt !== null)) {
        d.disabledAt = disable ? nowText() : null;
        d.updatedAt = nowText();
      }
      sendJson(c.res, 200, destinationJson(d));
    };
  return [
    route("GET", "/healthz", health, { auth: false }),
    route("GET", `${v1}/healthz`, health, { auth: false }),
    route("GET", `${v1}/destination-types`),
    route("GET", `${v1}/destination-types/:type`),
    route("GET", `${v1}/topics`),
    route("POST", `${v1}/publish`, async ({ res, text }) => {
      if (controls.publishDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, controls.publishDelayMs));
      const r = publish({ ...deps, failPublish: controls.failPublish, now: nowText() }, text);
      if (r.ack) sendJson(res, r.status, r.ack);
      else sendError(res, r.status, "scripted failure (outpost-fake failPublish)");
    }),
    route("POST", `${v1}/retry`),
    route("GET", `${v1}/tenants`),
    // Metadata is read only when the request has a body; PUT replaces it (tenant_handlers.go Upsert).
    route(
      "PUT",
      `${v1}/tenants/:tenant_id`,
      ({ res, params, text }) => {
        const metadata = text === "" ? undefined : coercedStringMap(parseBody(text).metadata);
        const existing = store.tenants.get(params.tenant_id);
        const now = nowText();
        const tenant = { id: params.tenant_id, metadata, createdAt: existing?.createdAt ?? now, updatedAt: now };
        store.tenants.set(tenant.id, tenant);
        sendJson(res, existing ? 200 : 201, tenantJson(store, tenant));
      },
      { tenant: false },
    ),
    route("GET", `${v1}/tenants/:tenant_id`, (c) => sendJson(c.res, 200, tenantJson(store, c.tenant as FakeTenant))),
    route("DELETE", `${v1}/tenants/:tenant_id`, ({ res, params }) => {
      for (const d of store.tenantDestinations(params.tenant_id)) store.deleteDestination(params.tenant_id, d.id);
      store.tenants.delete(params.tenant_id);
      sendJson(res, 200, { success: true });
    }),
    route("GET", `${v1}/tenants/:tenant_id/token`),
    route("GET", `${v1}/tenants/:tenant_id/portal`),
    route("GET", `${v1}/tenants/:tenant_id/destinations`, ({ res, params }) =>
      sendJson(res, 200, store.tenantDestinations(params.tenant_id).map(destinationJson)),
    ),
    route("POST", `${v1}/tenants/:tenant_id/destinations`, ({ res, params, text }) =>
      sendJson(res, 201, destinationJson(createDestination(store, deps.settings, params.tenant_id, text, nowText()))),
    ),
    route("GET", `${v1}/tenants/:tenant_id/destinations/:destination_id`, (c) => {
      const d = destinationOf(c);
      if (d === undefined) return notFoundText(c.res);
      sendJson(c.res, 200, destinationJson(d));
    }),
    route("PATCH", `${v1}/tenants/:tenant_id/destinations/:destination_id`),
    route("DELETE", `${v1}/tenants/:tenant_id/destinations/:destination_id`, (c) => {
      if (destinationOf(c) === undefined) return notFoundText(c.res);
      store.deleteDestination(c.params.tenant_id, c.params.destination_id);
      sendJson(c.res, 200, { success: true });
    }),
    route("PUT", `${v1}/tenants/:tenant_id/destinations/:destination_id/enable`, toggle(false)),
    route("PUT", `${v1}/tenants/:tenant_id/destinations/:destination_id/disable`, toggle(true)),
    route("GET", `${v1}/tenants/:tenant_id/destinations/:destination_id/attempts`),
    route("GET", `${v1}/tenants/:tenant_id/destinations/:destination_id/attempts/:attempt_id`),
    route("GET", `${v1}/events`),
    route("GET", `${v1}/events/:event_id`),
    route("GET", `${v1}/attempts`),
    route("GET", `${v1}/attempts/:attempt_id`),
    route("GET", `${v1}/metrics/events`),
    route("GET", `${v1}/metrics/attempts`),
    // The fake's own controls, for clients in another process.
    route("POST", "/_fake/restart", ({ req, res }) => {
      const downMs = Number(new URL(req.url ?? "/", "http://x").searchParams.get("down_ms") ?? "0");
      if (!Number.isFinite(downMs) || downMs < 0 || downMs > 600_000)
        return sendError(res, 400, "down_ms must be 0 to 600000");
      sendJson(res, 202, { restarting: true, down_ms: downMs });
      deps.restart(downMs);
    }),
    route("GET", "/_fake/state", ({ res }) =>
      sendJson(res, 200, {
        fake: FAKE_NOTICE,
        tenants: store.tenants.size,
        destinations: store.allDestinations().length,
        queued: store.queue.length,
        in_flight: deps.worker.inFlightCount,
        scheduled_retries: store.scheduledRetries.size,
        attempts: store.attempts.length,
        failed_attempts: store.attempts.filter((a) => a.status === "failed").length,
      }),
    ),
  ];
}

// A bare c.Status(404) in a gin handler: gin writes its text body
// (destination_handlers.go mustRetrieveDestination; measured).
function notFoundText(res: ServerResponse): void {
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("404 page not found");
}

export function createApiHandler(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { store, controls } = deps;
  const routes = buildRoutes(deps);

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? "GET";
    let params: Record<string, string> | undefined;
    const r = routes.find((candidate) => {
      const m = candidate.method === method ? candidate.pattern.exec(path) : null;
      if (m) params = Object.fromEntries(candidate.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      return m !== null;
    });
    // No route, or another method: before any middleware (measured).
    if (r === undefined || params === undefined) {
      if (path.startsWith("/api/v1/")) return sendJson(res, 404, { message: "not found", status: 404 });
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      return void res.end("404 page not found");
    }
    // 401 with an empty body (internal/apirouter/auth_middleware.go); tenant JWTs are not modelled.
    if (r.auth && !authorized(req.headers.authorization, deps.settings.apiKey)) return sendEmpty(res, 401);
    if (r.handle === undefined) return sendError(res, 501, `outpost-fake does not model ${method} ${routeName(path)}`);
    const text = await readBody(req);
    const tenant = r.tenant ? store.tenants.get(params.tenant_id) : undefined;
    if (r.tenant && tenant === undefined) return sendError(res, 404, "tenant not found");
    await r.handle({ req, res, params, text, tenant });
  }

  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const call = `${req.method} ${routeName(path)}`;
    controls.calls.set(call, (controls.calls.get(call) ?? 0) + 1);
    try {
      await serve(req, res, path);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.message, err.data);
      sendError(res, 500, "internal server error");
    }
  };
}
