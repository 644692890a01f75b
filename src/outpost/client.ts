import { redactUrl } from "../config/env";
import type { HttpPort, HttpRequest, HttpResponse } from "../ports";
import { type OutpostTarget, targetFromHealth } from "./target";

// Outpost v1.2.0 API client (routes under /api/v1, health at /healthz).
// Errors say what failed in one line; the API key and signing secrets never
// appear in them.
export class OutpostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutpostError";
  }
}

export interface DestinationSpec {
  id: string;
  url: string;
  topics: string[];
}

export interface Destination extends DestinationSpec {
  secret: string;
}

export interface PublishRequest {
  id: string;
  tenantId: string;
  topic: string;
  eligibleForRetry: boolean;
  metadata: Record<string, string>;
  // The event data as JSON text (an object), inserted as is.
  dataJson: string;
}

export type PublishResult =
  // destinationIds null: a 2xx whose body could not be read.
  | { kind: "accepted"; status: number; destinationIds: string[] | null }
  | { kind: "duplicate"; status: number }
  | { kind: "rejected"; status: number }
  // No HTTP answer at all (refused, reset, timeout...).
  | { kind: "error"; error: string };

interface DestinationBody {
  id?: string;
  topics?: string[] | string;
  config?: { url?: string };
  credentials?: { secret?: string };
}

function parseJson<T>(body: string): T | null {
  try {
    return JSON.parse(body) as T;
  } catch {
    return null;
  }
}

// Outpost's error bodies are {status, message, data?}; show the message only.
function errorMessage(res: HttpResponse): string {
  if (res.status === 0) return res.error ?? "no response";
  const m = parseJson<{ message?: unknown }>(res.body)?.message;
  return `HTTP ${res.status}${typeof m === "string" && m ? `: ${m}` : ""}`;
}

export class OutpostClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly http: HttpPort,
    baseUrl: string,
    apiKey: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, "");
    // An empty key suits Outpost without API_KEY ("VPC mode": every caller is admin).
    this.headers = apiKey
      ? { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` }
      : { "Content-Type": "application/json" };
  }

  private requestFor(
    method: HttpRequest["method"],
    path: string,
    name: string,
    body?: string,
    expectedStatuses?: number[],
  ): HttpRequest {
    return {
      method,
      url: `${this.base}${path}`,
      headers: this.headers,
      body,
      timeoutMs: this.timeoutMs,
      name,
      expectedStatuses,
    };
  }

  private send(
    method: HttpRequest["method"],
    path: string,
    name: string,
    body?: string,
    expectedStatuses?: number[],
  ): Promise<HttpResponse> {
    return this.http.request(this.requestFor(method, path, name, body, expectedStatuses));
  }

  async health(): Promise<void> {
    const res = await this.send("GET", "/healthz", "outpost healthz");
    if (res.status === 0)
      throw new OutpostError(
        `Outpost at ${redactUrl(this.base)} is unreachable (${errorMessage(res)}): check OUTPOST_URL`,
      );
    if (res.status !== 200)
      throw new OutpostError(
        `Outpost at ${redactUrl(this.base)} is not healthy: ${errorMessage(res)} ${res.body.slice(0, 200)}`.trim(),
      );
  }

  // Whether /healthz is Outpost's or the fake's (its `fake` field); health() has checked it answers.
  async target(): Promise<OutpostTarget> {
    return targetFromHealth((await this.send("GET", "/healthz", "outpost healthz")).body);
  }

  // Admin credentials: any tenant lookup answers 200 or 404 for an admin, 401
  // for a wrong key, 403 for a tenant JWT.
  async checkCredentials(probeTenantId: string): Promise<void> {
    const res = await this.send(
      "GET",
      `/api/v1/tenants/${encodeURIComponent(probeTenantId)}`,
      "outpost tenant",
      undefined,
      [200, 404],
    );
    if (res.status === 200 || res.status === 404) return;
    if (res.status === 401)
      throw new OutpostError("OUTPOST_API_KEY was refused by Outpost (401 Unauthorized): set it to Outpost's API_KEY");
    if (res.status === 403)
      throw new OutpostError(
        "OUTPOST_API_KEY is not Outpost's admin API key (403 Forbidden): publishing needs the admin key",
      );
    throw new OutpostError(`Outpost credential check failed: ${errorMessage(res)}`);
  }

  async upsertTenant(tenantId: string): Promise<void> {
    const res = await this.send("PUT", `/api/v1/tenants/${encodeURIComponent(tenantId)}`, "outpost tenant upsert");
    if (res.status !== 200 && res.status !== 201)
      throw new OutpostError(`creating tenant ${tenantId} failed: ${errorMessage(res)}`);
  }

  private async getDestination(tenantId: string, id: string): Promise<HttpResponse> {
    return this.send(
      "GET",
      `/api/v1/tenants/${encodeURIComponent(tenantId)}/destinations/${encodeURIComponent(id)}`,
      "outpost destination",
    );
  }

  // Idempotent: a destination that already exists (400 duplicate id) is read
  // back and used, provided it points at the same URL.
  async createDestination(tenantId: string, spec: DestinationSpec): Promise<Destination> {
    const body = JSON.stringify({ id: spec.id, type: "webhook", topics: spec.topics, config: { url: spec.url } });
    // 400: it exists already (a re-run, another runner): read back below.
    const res = await this.send(
      "POST",
      `/api/v1/tenants/${encodeURIComponent(tenantId)}/destinations`,
      "outpost destination create",
      body,
      [201, 400],
    );
    if (res.status === 201) return this.destinationFrom(res, spec);
    if (res.status !== 400) throw new OutpostError(`creating destination ${spec.id} failed: ${errorMessage(res)}`);
    const existing = await this.getDestination(tenantId, spec.id);
    // 400 without an existing destination: the tenant is full (MAX_DESTINATIONS_PER_TENANT).
    if (existing.status !== 200) throw new OutpostError(`creating destination ${spec.id} failed: ${errorMessage(res)}`);
    return this.destinationFrom(existing, spec);
  }

  private destinationFrom(res: HttpResponse, spec: DestinationSpec): Destination {
    const d = parseJson<DestinationBody>(res.body);
    const secret = d?.credentials?.secret;
    if (typeof secret !== "string" || secret === "")
      throw new OutpostError(`destination ${spec.id}: Outpost returned no credentials.secret`);
    const url = d?.config?.url;
    if (url !== spec.url) {
      throw new OutpostError(
        `destination ${spec.id} already exists with URL ${redactUrl(String(url))}, not ${redactUrl(spec.url)}: use a new TEST_ID`,
      );
    }
    return { ...spec, secret };
  }

  // The publish in two halves, so a caller that can wait without a promise (a
  // k6 VU: adapters/k6/http.ts requestBlocking) sends the request itself.
  publishRequest(req: PublishRequest): HttpRequest {
    return this.publishRequestOf(
      publishBody(
        JSON.stringify(req.id),
        publishShared(req.tenantId, req.topic, req.eligibleForRetry),
        req.dataJson,
        JSON.stringify(req.metadata),
      ),
    );
  }

  // The publish request of a body made with publishBody.
  publishRequestOf(body: string): HttpRequest {
    return this.requestFor("POST", "/api/v1/publish", "outpost publish", body);
  }

  async publish(req: PublishRequest): Promise<PublishResult> {
    return publishResult(await this.http.request(this.publishRequest(req)));
  }
}

// The body of Outpost's publish (POST /api/v1/publish), built by hand in one
// piece so the payload is neither parsed and re-serialised nor copied more than
// once per event. `shared` holds what a tenant's events have in common
// (publishShared), so a caller publishing many can serialise it once; the
// others are JSON texts.
export function publishBody(idJson: string, shared: string, dataJson: string, metadataJson: string): string {
  return `{"id":${idJson}${shared}${dataJson},"metadata":${metadataJson}}`;
}

export function publishShared(tenantId: string, topic: string, eligibleForRetry: boolean): string {
  return `,"tenant_id":${JSON.stringify(tenantId)},"topic":${JSON.stringify(topic)},"eligible_for_retry":${eligibleForRetry},"data":`;
}

const isString = (x: unknown): x is string => typeof x === "string";

// What Outpost's answer to a publish says.
export function publishResult(res: HttpResponse): PublishResult {
  if (res.status === 0) return { kind: "error", error: res.error ?? "no response" };
  if (res.status < 200 || res.status > 299) return { kind: "rejected", status: res.status };
  const ack = parseJson<{ duplicate?: boolean; destination_ids?: unknown }>(res.body);
  if (ack?.duplicate === true) return { kind: "duplicate", status: res.status };
  const ids = ack?.destination_ids;
  if (!Array.isArray(ids)) return { kind: "accepted", status: res.status, destinationIds: null };
  // Outpost's ids are strings: copy only what is not.
  return { kind: "accepted", status: res.status, destinationIds: ids.every(isString) ? ids : ids.map(String) };
}
