import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authorized } from "./auth";
import type { DeliveryWorker } from "./delivery-worker";
import { readBody, sendEmpty, sendError, sendJson } from "./http-util";
import type { FakeDestination, FakeEvent, FakeStore, FakeTenant } from "./model";
import { rawMemberText } from "./raw-json";
import type { FakeSettings } from "./settings";
import { rfc3339Nano, rfc3339Seconds } from "./webhook-request";

// Outpost v1.2.0's HTTP API as far as the load test and the conformance suite use it
// (routes: internal/apirouter/router.go). Routes Outpost has and the fake does not model
// answer 501, so a caller learns at once that it talks to the fake.

// Test controls that Outpost does not have: kept on one object the handlers read.
export interface FakeControls {
  // Status of GET /healthz (200 healthy, anything else "failed").
  healthStatus: number;
  // Answer the next publish of these event ids with this status instead of 202.
  failPublish: Map<string, number>;
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

const nowText = () => rfc3339Nano(Date.now());

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly data?: string[],
  ) {
    super(message);
  }
}

const invalidJson = () => new HttpError(422, "invalid JSON");
const validation = (data: string[]) => new HttpError(422, "validation error", data);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseBody(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  if (!isObject(v)) throw invalidJson();
  return v;
}

function optionalString(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw invalidJson();
  return v;
}

// map[string]string fields of a publish: anything but strings fails decoding.
function stringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === "string")) throw invalidJson();
  return v as Record<string, string>;
}

// models.MapStringString on destinations: values of other types are turned into strings.
function coercedStringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidJson();
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, typeof x === "string" ? x : x === null ? "" : JSON.stringify(x)]),
  );
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

// The webhook secret is returned in plain text (destwebhook.go ObfuscateDestination).
function destinationJson(d: FakeDestination): Record<string, unknown> {
  return {
    id: d.id,
    tenant_id: d.tenantId,
    type: "webhook",
    topics: d.topics,
    config: d.config,
    credentials: { secret: d.secret },
    ...(d.deliveryMetadata ? { delivery_metadata: d.deliveryMetadata } : {}),
    ...(d.metadata ? { metadata: d.metadata } : {}),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    disabled_at: d.disabledAt,
    target: d.url,
  };
}

// Destination topics (internal/models/entities.go Topics.Validate, no TOPICS configured,
// no wildcards): a non-empty list of exact topics, or "*" alone.
function readTopics(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === "*") return ["*"];
  if (!Array.isArray(v) || !v.every((t) => typeof t === "string"))
    throw new HttpError(422, "validation failed: invalid topics format");
  return v as string[];
}

function topicsMatch(topics: string[], eventTopic: string): boolean {
  if (eventTopic === "" || eventTopic === "*" || (topics.length === 1 && topics[0] === "*")) return true;
  return topics.includes(eventTopic);
}

// internal/destregistry/providers/destwebhook/destwebhook.go ValidateCustomHeaders.
const HEADER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const RESERVED_HEADERS = new Set(["content-type", "content-length", "host", "connection", "user-agent"]);

function customHeadersOf(config: Record<string, string>): Record<string, string> {
  const text = config.custom_headers;
  if (text === undefined || text === "") return {};
  let headers: unknown;
  try {
    headers = JSON.parse(text);
  } catch {
    throw validation(["config.custom_headers failed invalid validation"]);
  }
  if (!isObject(headers)) throw validation(["config.custom_headers failed invalid validation"]);
  const problems = Object.entries(headers).flatMap(([name, value]) => {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase()) || typeof value !== "string" || !value)
      return [`config.custom_headers.${name.toLowerCase()} failed invalid validation`];
    return [];
  });
  if (problems.length > 0) throw validation(problems);
  return headers as Record<string, string>;
}

function createDestination(deps: ApiDeps, tenantId: string, text: string): FakeDestination {
  const body = parseBody(text);
  const type = optionalString(body, "type");
  const topics = readTopics(body.topics);
  const id = optionalString(body, "id");
  const config = coercedStringMap(body.config) ?? {};
  const credentials = coercedStringMap(body.credentials) ?? {};
  const deliveryMetadata = coercedStringMap(body.delivery_metadata);
  const metadata = coercedStringMap(body.metadata);
  const required = [
    ...(type === "" ? ["type is required"] : []),
    ...(topics === undefined ? ["topics is required"] : []),
  ];
  if (required.length > 0) throw validation(required);
  const list = topics as string[];
  if (list.length === 0 || (list.some((t) => t.includes("*")) && !(list.length === 1 && list[0] === "*")))
    throw new HttpError(422, "validation failed: invalid topics");
  if (type !== "webhook") throw new HttpError(422, `no provider registered for destination type: ${type}`);
  const url = config.url ?? "";
  if (url === "") throw validation(["config.url is required"]);
  if (!/^https?:\/\/\S+$/.test(url)) throw validation(["config.url failed pattern validation"]);
  if (
    body.filter !== undefined &&
    body.filter !== null &&
    !(isObject(body.filter) && Object.keys(body.filter).length === 0)
  )
    throw new HttpError(501, "outpost-fake does not model destination filters");
  const customHeaders = customHeadersOf(config);
  const destinationId = id || `des_${randomBytes(8).toString("hex")}`;
  // Per tenant: the same id under another tenant is another destination
  // (internal/tenantstore/redistenantstore/redistenantstore.go CreateDestination).
  if (deps.store.destination(tenantId, destinationId)) throw new HttpError(400, "destination already exists");
  if (deps.store.tenantDestinations(tenantId).length >= deps.settings.maxDestinationsPerTenant)
    throw new HttpError(400, "maximum number of destinations per tenant reached");
  const now = nowText();
  const d: FakeDestination = {
    id: destinationId,
    tenantId,
    topics: [...new Set(list)],
    config,
    url,
    customHeaders,
    // An admin may set the secret; else whsec_ + 64 hex (DESTINATIONS_WEBHOOK_SIGNING_SECRET_TEMPLATE).
    secret: credentials.secret || `whsec_${randomBytes(32).toString("hex")}`,
    deliveryMetadata,
    metadata,
    createdAt: now,
    updatedAt: now,
    disabledAt: null,
  };
  deps.store.putDestination(d);
  return d;
}

interface PublishAck {
  id: string;
  duplicate: boolean;
  destination_ids: string[];
}

// internal/apirouter/publish_handlers.go Ingest + internal/publishmq/eventhandler.go Handle.
function publish(deps: ApiDeps, text: string): { status: number; ack?: PublishAck } {
  const body = parseBody(text);
  const tenantId = optionalString(body, "tenant_id");
  const destinationId = optionalString(body, "destination_id");
  const topic = optionalString(body, "topic");
  const id = optionalString(body, "id") || randomUUID();
  const metadata = stringMap(body.metadata) ?? {};
  const eligible = body.eligible_for_retry;
  if (eligible !== undefined && eligible !== null && typeof eligible !== "boolean") throw invalidJson();
  const time = optionalString(body, "time");
  if (time !== "" && Number.isNaN(Date.parse(time))) throw new HttpError(422, `parsing time ${JSON.stringify(time)}`);
  const required = [
    ...(tenantId === "" ? ["tenant_id is required"] : []),
    ...("data" in body ? [] : ["data is required"]),
  ];
  if (required.length > 0) throw validation(required);
  if (!isObject(body.data)) throw validation(["data must be a valid JSON object"]);
  const failWith = deps.controls.failPublish.get(id);
  if (failWith !== undefined) {
    deps.controls.failPublish.delete(id);
    return { status: failWith };
  }
  const event: FakeEvent = {
    id,
    tenantId,
    topic,
    eligibleForRetry: eligible !== false,
    time: time || nowText(),
    metadata,
    data: rawMemberText(text, "data") as string,
  };
  const candidates =
    destinationId === ""
      ? deps.store.tenantDestinations(tenantId)
      : [deps.store.destination(tenantId, destinationId)].filter((d) => d !== undefined);
  const matched = candidates.filter((d) => d.disabledAt === null && topicsMatch(d.topics, topic)).map((d) => d.id);
  // Nothing matched: accepted, nothing stored, no idempotency key.
  if (matched.length > 0) {
    const keys = deps.store.idempotencyKeys;
    const expires = keys.get(id);
    if (expires !== undefined && expires > Date.now())
      return { status: 202, ack: { id, duplicate: true, destination_ids: matched } };
    keys.set(id, Date.now() + deps.settings.publishIdempotencyKeyTtlSeconds * 1000);
    for (const destination of matched) deps.worker.enqueue({ event, destinationId: destination, attempt: 1 });
  }
  deps.store.published.push(JSON.parse(text));
  return { status: 202, ack: { id, duplicate: false, destination_ids: matched } };
}

function healthJson(status: number): Record<string, unknown> {
  const healthy = status === 200;
  const worker = { status: healthy ? "healthy" : "failed" };
  return {
    status: healthy ? "healthy" : "failed",
    timestamp: rfc3339Seconds(Date.now()),
    workers: { "http-server": worker, "deliverymq-consumer": worker, "retrymq-consumer": worker },
    fake: FAKE_NOTICE,
  };
}

function routeName(path: string): string {
  return path
    .replace(/^\/api\/v1\/tenants\/[^/]+/, "/api/v1/tenants/:t")
    .replace(/\/destinations\/[^/]+/, "/destinations/:d");
}

const TENANT_ROUTE = /^\/api\/v1\/tenants\/([^/]+)(?:\/destinations(?:\/([^/]+)(?:\/(enable|disable))?)?)?$/;
const UNMODELLED = /^\/api\/v1\/(tenants|events|attempts|retry|metrics|topics|destination-types)(\/|$)/;

export function createApiHandler(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { store, controls } = deps;

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "GET" && (path === "/healthz" || path === "/api/v1/healthz"))
      return sendJson(res, controls.healthStatus, healthJson(controls.healthStatus));
    const known = path === "/api/v1/publish" || path.startsWith("/_fake/") || UNMODELLED.test(path);
    // Gin answers an unknown route before any middleware runs.
    if (!known) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return void res.end("404 page not found");
    }
    // 401 with an empty body (internal/apirouter/auth_middleware.go); a tenant JWT is not modelled.
    if (!authorized(req.headers.authorization, deps.settings.apiKey)) return sendEmpty(res, 401);
    const text = await readBody(req);

    if (path === "/api/v1/publish" && method === "POST") {
      const r = publish(deps, text);
      return r.ack
        ? sendJson(res, r.status, r.ack)
        : sendError(res, r.status, "scripted failure (outpost-fake failPublish)");
    }
    if (path === "/_fake/restart" && method === "POST") {
      const downMs = Number(new URL(req.url ?? "/", "http://x").searchParams.get("down_ms") ?? "0");
      if (!Number.isFinite(downMs) || downMs < 0 || downMs > 600_000)
        return sendError(res, 400, "down_ms must be 0 to 600000");
      sendJson(res, 202, { restarting: true, down_ms: downMs });
      return deps.restart(downMs);
    }
    if (path === "/_fake/state" && method === "GET") {
      return sendJson(res, 200, {
        fake: FAKE_NOTICE,
        tenants: store.tenants.size,
        destinations: store.allDestinations().length,
        queued: store.queue.length,
        in_flight: deps.worker.inFlightCount,
        scheduled_retries: store.scheduledRetries.size,
        attempts: store.attempts.length,
        failed_attempts: store.attempts.filter((a) => a.status === "failed").length,
      });
    }

    const m = TENANT_ROUTE.exec(path);
    if (m === null) return sendError(res, 501, `outpost-fake does not model ${method} ${routeName(path)}`);
    const tenantId = decodeURIComponent(m[1]);
    const destinationId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const action = m[3];
    const isDestinations = path.includes("/destinations");

    if (!isDestinations && method === "PUT") {
      // Metadata is read only when the request has a body; PUT replaces it.
      const metadata = text === "" ? undefined : coercedStringMap(parseBody(text).metadata);
      const existing = store.tenants.get(tenantId);
      const now = nowText();
      const tenant: FakeTenant = { id: tenantId, metadata, createdAt: existing?.createdAt ?? now, updatedAt: now };
      store.tenants.set(tenantId, tenant);
      return sendJson(res, existing ? 200 : 201, tenantJson(store, tenant));
    }
    const tenant = store.tenants.get(tenantId);
    if (tenant === undefined) return sendError(res, 404, "tenant not found");
    if (!isDestinations && method === "GET") return sendJson(res, 200, tenantJson(store, tenant));
    if (!isDestinations && method === "DELETE") {
      for (const d of store.tenantDestinations(tenantId)) store.deleteDestination(tenantId, d.id);
      store.tenants.delete(tenantId);
      return sendJson(res, 200, { success: true });
    }
    if (destinationId === undefined && method === "GET")
      return sendJson(res, 200, store.tenantDestinations(tenantId).map(destinationJson));
    if (destinationId === undefined && method === "POST")
      return sendJson(res, 201, destinationJson(createDestination(deps, tenantId, text)));
    if (destinationId !== undefined) {
      const d = store.destination(tenantId, destinationId);
      const isRead = method === "GET" && action === undefined;
      const isDelete = method === "DELETE" && action === undefined;
      const isToggle = method === "PUT" && action !== undefined;
      if (isRead || isDelete || isToggle) {
        // An unknown destination is a bare 404 (destination_handlers.go mustRetrieveDestination).
        if (d === undefined) return sendEmpty(res, 404);
        if (isDelete) {
          store.deleteDestination(tenantId, destinationId);
          return sendJson(res, 200, { success: true });
        }
        if (isToggle) {
          // Only a change of state touches the destination (setDisabilityHandler).
          const disable = action === "disable";
          if (disable !== (d.disabledAt !== null)) {
            d.disabledAt = disable ? nowText() : null;
            d.updatedAt = nowText();
          }
        }
        return sendJson(res, 200, destinationJson(d));
      }
    }
    return sendError(res, 501, `outpost-fake does not model ${method} ${routeName(path)}`);
  }

  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const call = `${req.method} ${routeName(path)}`;
    controls.calls.set(call, (controls.calls.get(call) ?? 0) + 1);
    try {
      await route(req, res, path);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.message, err.data);
      sendError(res, 500, "internal server error");
    }
  };
}
