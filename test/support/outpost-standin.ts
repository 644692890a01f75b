import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// STAND-IN for Outpost v1.2.0, which cannot be installed here. It answers the
// few routes the throughput scenario calls, as ../shared/outpost-facts.md §1-2
// describe them (status codes, bodies, duplicate ids, 20-destination cap,
// publish idempotency), and delivers nothing. Not a model of Outpost beyond that.

interface StandinDestination {
  id: string;
  tenantId: string;
  topics: string[];
  url: string;
  secret: string;
  disabled: boolean;
}

export interface PublishedEvent {
  id: string;
  tenant_id: string;
  topic: string;
  eligible_for_retry: boolean;
  metadata: Record<string, string>;
  data: Record<string, unknown>;
}

export interface OutpostStandin {
  url: string;
  tenants: Set<string>;
  destinations: Map<string, StandinDestination>;
  published: PublishedEvent[];
  // Answer the next publishes of these event ids with this status instead of 202.
  failPublish: Map<string, number>;
  healthStatus: number;
  // Holds every publish answer this long (a slow Outpost, for k6's dropped iterations).
  publishDelayMs: number;
  // Counts every request by "METHOD route".
  calls: Map<string, number>;
  stop(): Promise<void>;
}

const MAX_DESTINATIONS_PER_TENANT = 20;

function send(res: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function destinationJson(d: StandinDestination): Record<string, unknown> {
  return {
    id: d.id,
    tenant_id: d.tenantId,
    type: "webhook",
    topics: d.topics,
    config: { url: d.url },
    credentials: { secret: d.secret },
    target: d.url,
  };
}

export async function startOutpostStandin(apiKey: string): Promise<OutpostStandin> {
  const state: Omit<OutpostStandin, "url" | "stop"> = {
    tenants: new Set(),
    destinations: new Map(),
    published: [],
    failPublish: new Map(),
    healthStatus: 200,
    publishDelayMs: 0,
    calls: new Map(),
  };
  const seenEventIds = new Set<string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const route = path.replace(/\/tenants\/[^/]+/, "/tenants/:t").replace(/\/destinations\/[^/]+$/, "/destinations/:d");
    const call = `${req.method} ${route}`;
    state.calls.set(call, (state.calls.get(call) ?? 0) + 1);
    if (req.method === "GET" && path === "/healthz") {
      return send(res, state.healthStatus, {
        status: state.healthStatus === 200 ? "healthy" : "failed",
        timestamp: new Date().toISOString(),
        workers: {},
      });
    }
    if (!path.startsWith("/api/v1/")) return send(res, 404, { status: 404, message: "not found" });
    if (apiKey !== "" && req.headers.authorization !== `Bearer ${apiKey}`) return send(res, 401);
    const body = await readBody(req);
    const m = /^\/api\/v1\/tenants\/([^/]+)(?:\/destinations(?:\/([^/]+))?)?$/.exec(path);
    if (m) {
      const tenant = decodeURIComponent(m[1]);
      const destId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
      const isDestinations = path.includes("/destinations");
      if (!isDestinations && req.method === "PUT") {
        const created = !state.tenants.has(tenant);
        state.tenants.add(tenant);
        return send(res, created ? 201 : 200, {
          id: tenant,
          destinations_count: 0,
          topics: [],
          created_at: new Date().toISOString(),
        });
      }
      if (!state.tenants.has(tenant)) return send(res, 404, { status: 404, message: "tenant not found" });
      if (!isDestinations && req.method === "GET") return send(res, 200, { id: tenant });
      if (isDestinations && destId !== undefined && req.method === "GET") {
        const d = state.destinations.get(destId);
        return d && d.tenantId === tenant
          ? send(res, 200, destinationJson(d))
          : send(res, 404, { status: 404, message: "destination not found" });
      }
      if (isDestinations && destId === undefined && req.method === "POST") {
        const spec = JSON.parse(body) as { id?: string; type?: string; topics?: string[]; config?: { url?: string } };
        if (
          spec.type !== "webhook" ||
          !Array.isArray(spec.topics) ||
          spec.topics.length === 0 ||
          !/^https?:\/\/\S+$/.test(spec.config?.url ?? "")
        ) {
          return send(res, 422, { status: 422, message: "validation error", data: ["bad destination"] });
        }
        const id = spec.id ?? randomBytes(8).toString("hex");
        if (state.destinations.has(id)) return send(res, 400, { status: 400, message: "destination already exists" });
        const count = [...state.destinations.values()].filter((d) => d.tenantId === tenant).length;
        if (count >= MAX_DESTINATIONS_PER_TENANT)
          return send(res, 400, { status: 400, message: "max destinations per tenant reached" });
        const d: StandinDestination = {
          id,
          tenantId: tenant,
          topics: spec.topics,
          url: spec.config?.url ?? "",
          secret: `whsec_${randomBytes(32).toString("hex")}`,
          disabled: false,
        };
        state.destinations.set(id, d);
        return send(res, 201, destinationJson(d));
      }
    }
    if (req.method === "POST" && path === "/api/v1/publish") {
      if (state.publishDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.publishDelayMs));
      const ev = JSON.parse(body) as PublishedEvent;
      if (typeof ev.data !== "object" || ev.data === null || Array.isArray(ev.data))
        return send(res, 422, { status: 422, message: "validation error", data: ["data must be an object"] });
      const failWith = state.failPublish.get(ev.id);
      if (failWith !== undefined) {
        state.failPublish.delete(ev.id);
        return send(res, failWith, { status: failWith, message: "scripted failure" });
      }
      const matched = [...state.destinations.values()].filter(
        (d) => d.tenantId === ev.tenant_id && !d.disabled && (d.topics.includes("*") || d.topics.includes(ev.topic)),
      );
      // Idempotency is consulted only when at least one destination matched.
      if (matched.length > 0 && seenEventIds.has(ev.id))
        return send(res, 202, { id: ev.id, duplicate: true, destination_ids: [] });
      if (matched.length > 0) seenEventIds.add(ev.id);
      state.published.push(ev);
      return send(res, 202, { id: ev.id, duplicate: false, destination_ids: matched.map((d) => d.id) });
    }
    return send(res, 404, { status: 404, message: "not found" });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => send(res, 500, { status: 500, message: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // The same object the handler reads, so tests can change healthStatus and failPublish.
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
