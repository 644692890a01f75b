import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import type { HttpRequest, HttpResponse } from "../../src/ports";
import type { Behaviour, Endpoint, Received, Receiver } from "./receiver";
import { request, type Target } from "./target";

// What a conformance case is and the few steps cases share.

export type Need = "apiKey" | "control" | "shortRetries";

export interface ConformanceCase {
  // Stable: the recorded real run and the known-gap list refer to cases by id.
  id: string;
  title: string;
  // Where Outpost v1.2.0's behaviour comes from (its source path), or "measured".
  source: string;
  needs?: Need[];
  // Throws on a mismatch; may return a detail worth keeping with a pass.
  run(ctx: CaseContext): Promise<string | undefined>;
}

export interface ApiResponse extends HttpResponse {
  json: any;
}

export type Auth = "key" | "none" | { header: string };

export class CaseContext {
  private seq = 0;
  readonly runId = `cf${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

  constructor(
    readonly target: Target,
    readonly receiver: Receiver,
  ) {}

  // A name unique to this run of the suite, so runs against one Outpost do not collide.
  name(label: string): string {
    this.seq += 1;
    return `${this.runId}-${label}-${this.seq}`;
  }

  async api(method: HttpRequest["method"], path: string, body?: unknown, auth: Auth = "key"): Promise<ApiResponse> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (auth === "key" && this.target.apiKey) headers.Authorization = `Bearer ${this.target.apiKey}`;
    if (typeof auth === "object") headers.Authorization = auth.header;
    const res = await request({
      method,
      url: `${this.target.url}${path}`,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    let json: unknown;
    try {
      json = res.body === "" ? undefined : JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { ...res, json };
  }

  async tenant(label: string): Promise<string> {
    const id = this.name(label);
    const res = await this.api("PUT", `/api/v1/tenants/${id}`);
    expectStatus(res, 201, `PUT tenant ${id}`);
    return id;
  }

  // A webhook destination on a new receiver endpoint; returns Outpost's answer body.
  async destination(
    tenantId: string,
    options: {
      behaviour?: Behaviour;
      suffix?: string;
      topics?: string[] | string;
      extra?: Record<string, unknown>;
    } = {},
  ): Promise<{ id: string; secret: string; endpoint: Endpoint; body: any }> {
    const endpoint = this.receiver.endpoint(options.behaviour, options.suffix);
    const id = this.name("d");
    const res = await this.api(
      "POST",
      `/api/v1/tenants/${tenantId}/destinations`,
      webhookBody(endpoint.url, { id, topics: options.topics ?? ["conf.event"], ...options.extra }),
    );
    expectStatus(res, 201, `POST destination ${id}`);
    return { id, secret: res.json.credentials.secret, endpoint, body: res.json };
  }

  async publish(body: Record<string, unknown>): Promise<ApiResponse> {
    return this.api("POST", "/api/v1/publish", {
      topic: "conf.event",
      eligible_for_retry: false,
      data: { case: "conformance" },
      ...body,
    });
  }

  async publishAccepted(body: Record<string, unknown>): Promise<ApiResponse> {
    const res = await this.publish(body);
    expectStatus(res, 202, "publish");
    return res;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  // Waits out the target's quiet period, then checks the endpoint got exactly `count`.
  async expectNoMore(endpoint: Endpoint, count: number, waitMs = this.target.timing.quietMs): Promise<void> {
    await this.sleep(waitMs);
    const got = endpoint.requests;
    if (got.length !== count) {
      const t0 = got[0]?.arrivedAtMs ?? 0;
      const seen = got.map((r) => `${header(r, "x-outpost-event-id")?.slice(-6)}@+${Math.round(r.arrivedAtMs - t0)}ms`);
      assert.fail(`expected exactly ${count} deliveries, got ${got.length}: ${seen.join(", ")}`);
    }
  }
}

// A webhook destination body for POST .../destinations.
export function webhookBody(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "webhook", topics: ["conf.event"], config: { url }, ...extra };
}

export function expectStatus(res: ApiResponse, status: number, what: string): void {
  if (res.status !== status)
    throw new assert.AssertionError({
      message: `${what}: expected HTTP ${status}, got ${res.status === 0 ? res.error : res.status} ${res.body.slice(0, 300)}`,
    });
}

export function header(r: Received, name: string): string | undefined {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
}

// The error body Outpost answers with ({status, message, data?}).
export function errorBody(res: ApiResponse): string {
  return `${res.status} ${res.body}`;
}
