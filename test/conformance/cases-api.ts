import { strict as assert } from "node:assert";
import { parseRfc3339Ms } from "../../mock-webhook/timestamps";
import { type ConformanceCase, errorBody, expectStatus, webhookBody } from "./case-kit";

const atMs = (t: unknown) => Math.floor(parseRfc3339Ms(String(t)) ?? Number.NaN);

// Health, authentication, tenants and destinations.

export const API_CASES: ConformanceCase[] = [
  {
    id: "health.healthz",
    title: "GET /healthz answers 200 {status: healthy, timestamp, workers} without credentials",
    source: "internal/services/health.go",
    async run(ctx) {
      const res = await ctx.api("GET", "/healthz", undefined, "none");
      expectStatus(res, 200, "GET /healthz");
      assert.equal(res.json?.status, "healthy");
      assert.match(String(res.json?.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/);
      assert.equal(typeof res.json?.workers, "object");
      return `workers: ${Object.keys(res.json.workers).sort().join(", ")}`;
    },
  },
  {
    id: "auth.wrong-key-401-empty",
    title: "a wrong API key gets 401 with an empty body",
    source: "internal/apirouter/auth_middleware.go",
    needs: ["apiKey"],
    async run(ctx) {
      const wrong = { header: "Bearer not-the-key" };
      for (const [method, path] of [
        ["PUT", `/api/v1/tenants/${ctx.name("t")}`],
        ["POST", "/api/v1/publish"],
      ] as const) {
        const res = await ctx.api(method, path, method === "POST" ? { tenant_id: "x", data: {} } : undefined, wrong);
        expectStatus(res, 401, `${method} ${path} with a wrong key`);
        assert.equal(res.body, "", `${method} ${path}: 401 body should be empty, got ${res.body}`);
      }
      return undefined;
    },
  },
  {
    id: "auth.missing-or-malformed-401-empty",
    title: "no Authorization header, or one that is not `Bearer <token>`, gets 401 with an empty body",
    source: "internal/apirouter/auth_middleware.go validateAuthHeader",
    needs: ["apiKey"],
    async run(ctx) {
      const path = `/api/v1/tenants/${ctx.name("t")}`;
      for (const auth of ["none", { header: `Basic ${ctx.target.apiKey}` }, { header: "Bearer " }] as const) {
        const res = await ctx.api("PUT", path, undefined, auth);
        expectStatus(
          res,
          401,
          `PUT tenant with ${auth === "none" ? "no header" : JSON.stringify(auth.header.split(" ")[0])}`,
        );
        assert.equal(res.body, "");
      }
      return undefined;
    },
  },
  {
    id: "tenant.upsert-201-then-200",
    title:
      "PUT /tenants/:id creates (201) then updates (200); body {id, destinations_count, topics, created_at, updated_at}",
    source: "internal/apirouter/tenant_handlers.go Upsert",
    async run(ctx) {
      const id = ctx.name("t");
      const first = await ctx.api("PUT", `/api/v1/tenants/${id}`);
      expectStatus(first, 201, "first PUT");
      assert.equal(first.json.id, id);
      assert.equal(first.json.destinations_count, 0);
      assert.deepEqual(first.json.topics, []);
      assert.equal(first.json.metadata, undefined);
      assert.equal(typeof first.json.created_at, "string");
      const second = await ctx.api("PUT", `/api/v1/tenants/${id}`, { metadata: { team: "a" } });
      expectStatus(second, 200, "second PUT");
      // Stored with millisecond precision: the first answer may show more digits than later ones.
      assert.equal(atMs(second.json.created_at), atMs(first.json.created_at));
      assert.deepEqual(second.json.metadata, { team: "a" });
      return undefined;
    },
  },
  {
    id: "tenant.unknown-404",
    title: "an unknown tenant is 404 {status, message: tenant not found} on tenant routes",
    source: "internal/apirouter/auth_middleware.go resolveTenantOrAbort",
    async run(ctx) {
      const id = ctx.name("nobody");
      const get = await ctx.api("GET", `/api/v1/tenants/${id}`);
      expectStatus(get, 404, "GET unknown tenant");
      assert.deepEqual(get.json, { status: 404, message: "tenant not found" });
      const create = await ctx.api("POST", `/api/v1/tenants/${id}/destinations`, {
        type: "webhook",
        topics: ["*"],
        config: { url: "http://127.0.0.1:1/x" },
      });
      expectStatus(create, 404, "POST destination to an unknown tenant");
      return undefined;
    },
  },
  {
    id: "destination.create-201",
    title: "creating a webhook destination answers 201 with the destination, its target and its secret in plain text",
    source:
      "internal/apirouter/destination_handlers.go Create, internal/destregistry/providers/destwebhook/destwebhook.go",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant, { topics: ["conf.a", "conf.b"] });
      const b = d.body;
      assert.equal(b.id, d.id);
      assert.equal(b.tenant_id, tenant);
      assert.equal(b.type, "webhook");
      assert.deepEqual([...b.topics].sort(), ["conf.a", "conf.b"]);
      assert.equal(b.config.url, d.endpoint.url);
      assert.equal(b.target, d.endpoint.url);
      assert.match(b.credentials.secret, /^whsec_[0-9a-f]{64}$/);
      assert.equal(b.disabled_at, null);
      const read = await ctx.api("GET", `/api/v1/tenants/${tenant}/destinations/${d.id}`);
      expectStatus(read, 200, "GET destination");
      assert.equal(read.json.credentials.secret, b.credentials.secret);
      const t = await ctx.api("GET", `/api/v1/tenants/${tenant}`);
      assert.equal(t.json.destinations_count, 1);
      return undefined;
    },
  },
  {
    id: "destination.generated-id",
    title: "a destination created without an id gets one",
    source: "internal/apirouter/destination_handlers.go CreateDestinationRequest.ToDestination",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const res = await ctx.api("POST", `/api/v1/tenants/${tenant}/destinations`, {
        type: "webhook",
        topics: "*",
        config: { url: ctx.receiver.endpoint().url },
      });
      expectStatus(res, 201, "POST destination without id");
      assert.ok(typeof res.json.id === "string" && res.json.id.length > 0);
      assert.deepEqual(res.json.topics, ["*"]);
      return `generated id like ${res.json.id.replace(/[0-9a-f]/gi, "x")}`;
    },
  },
  {
    id: "destination.duplicate-id-400",
    title: "a second destination with the same id in the same tenant is 400 {message: destination already exists}",
    source: "internal/tenantstore/redistenantstore/redistenantstore.go CreateDestination",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const again = await ctx.api(
        "POST",
        `/api/v1/tenants/${tenant}/destinations`,
        webhookBody(d.endpoint.url, { id: d.id }),
      );
      expectStatus(again, 400, "duplicate destination id");
      assert.deepEqual(again.json, { status: 400, message: "destination already exists" });
      return undefined;
    },
  },
  {
    id: "destination.id-per-tenant",
    title: "the same destination id in another tenant is another destination (201)",
    source: "internal/tenantstore/redistenantstore/redistenantstore.go redisDestinationID",
    async run(ctx) {
      const a = await ctx.tenant("a");
      const b = await ctx.tenant("b");
      const d = await ctx.destination(a);
      const res = await ctx.api("POST", `/api/v1/tenants/${b}/destinations`, webhookBody(d.endpoint.url, { id: d.id }));
      expectStatus(res, 201, "same id, other tenant");
      assert.notEqual(res.json.credentials.secret, d.secret);
      return undefined;
    },
  },
  {
    id: "destination.validation-422",
    title:
      "invalid destinations get 422 {status, message, data?}: missing type or topics, empty topics, bad or missing URL, reserved custom header",
    source:
      "internal/apirouter/errorhandler_middleware.go, internal/destregistry/baseprovider.go, internal/models/entities.go",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const url = "http://127.0.0.1:9/x";
      const cases: Array<[string, unknown, unknown]> = [
        [
          "no type",
          { topics: ["a"], config: { url } },
          { status: 422, message: "validation error", data: ["type is required"] },
        ],
        [
          "no topics",
          { type: "webhook", config: { url } },
          { status: 422, message: "validation error", data: ["topics is required"] },
        ],
        [
          "empty topics",
          { type: "webhook", topics: [], config: { url } },
          { status: 422, message: "validation failed: invalid topics" },
        ],
        [
          "no url",
          { type: "webhook", topics: ["a"], config: {} },
          { status: 422, message: "validation error", data: ["config.url is required"] },
        ],
        [
          "ftp url",
          { type: "webhook", topics: ["a"], config: { url: "ftp://example.com/x" } },
          { status: 422, message: "validation error", data: ["config.url failed pattern validation"] },
        ],
        [
          "unknown type",
          { type: "carrier-pigeon", topics: ["a"], config: { url } },
          { status: 422, message: "no provider registered for destination type: carrier-pigeon" },
        ],
        ["not JSON", "{", { status: 422, message: "invalid JSON" }],
      ];
      const seen: string[] = [];
      for (const [what, body, expected] of cases) {
        const res = await ctx.api("POST", `/api/v1/tenants/${tenant}/destinations`, body);
        seen.push(`${what}: ${errorBody(res)}`);
        assert.deepEqual(res.json, expected, `${what}: got ${errorBody(res)}`);
        assert.equal(res.status, 422, what);
      }
      const header = await ctx.api("POST", `/api/v1/tenants/${tenant}/destinations`, {
        type: "webhook",
        topics: ["a"],
        config: { url, custom_headers: { "User-Agent": "x" } },
      });
      seen.push(`reserved custom header: ${errorBody(header)}`);
      assert.deepEqual(header.json, {
        status: 422,
        message: "validation error",
        data: ["config.custom_headers.user-agent is forbidden"],
      });
      return seen.join("; ");
    },
  },
  {
    id: "destination.max-per-tenant-400",
    title:
      "past MAX_DESTINATIONS_PER_TENANT (20) a new destination is 400 {message: maximum number of destinations per tenant reached}",
    source: "internal/tenantstore/redistenantstore/redistenantstore.go CreateDestination",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const url = ctx.receiver.endpoint().url;
      for (let i = 0; i < ctx.target.settings.maxDestinationsPerTenant; i++) {
        const res = await ctx.api("POST", `/api/v1/tenants/${tenant}/destinations`, webhookBody(url, { id: `d${i}` }));
        expectStatus(res, 201, `destination ${i + 1}`);
      }
      const over = await ctx.api(
        "POST",
        `/api/v1/tenants/${tenant}/destinations`,
        webhookBody(url, { id: "one-too-many" }),
      );
      expectStatus(over, 400, "destination past the limit");
      assert.deepEqual(over.json, { status: 400, message: "maximum number of destinations per tenant reached" });
      return `limit ${ctx.target.settings.maxDestinationsPerTenant}`;
    },
  },
  {
    id: "destination.unknown-404-text",
    title: 'an unknown destination is a bare 404: gin\'s text/plain "404 page not found"',
    source: "internal/apirouter/destination_handlers.go mustRetrieveDestination (c.Status(404))",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      for (const [method, suffix] of [
        ["GET", ""],
        ["PUT", "/disable"],
        ["DELETE", ""],
      ] as const) {
        const res = await ctx.api(method, `/api/v1/tenants/${tenant}/destinations/nope${suffix}`);
        expectStatus(res, 404, `${method} unknown destination${suffix}`);
        assert.equal(res.body, "404 page not found");
      }
      return undefined;
    },
  },
  {
    id: "api.unknown-route-404",
    title: "an unknown route or method under /api/v1 is 404 {status: 404, message: not found}, before authentication",
    source: "measured (gin NoRoute; internal/apirouter/router.go)",
    async run(ctx) {
      for (const [method, path] of [
        ["GET", "/api/v1/no-such-route"],
        ["PATCH", "/api/v1/publish"],
      ] as const) {
        const res = await ctx.api(method, path, undefined, "none");
        expectStatus(res, 404, `${method} ${path}`);
        assert.deepEqual(res.json, { status: 404, message: "not found" });
      }
      return undefined;
    },
  },
  {
    id: "destination.disable-enable",
    title:
      "PUT .../disable sets disabled_at (again: unchanged), PUT .../enable clears it; both answer 200 with the destination",
    source: "internal/apirouter/destination_handlers.go setDisabilityHandler",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const base = `/api/v1/tenants/${tenant}/destinations/${d.id}`;
      const off = await ctx.api("PUT", `${base}/disable`);
      expectStatus(off, 200, "disable");
      assert.equal(off.json.id, d.id);
      assert.equal(typeof off.json.disabled_at, "string");
      const again = await ctx.api("PUT", `${base}/disable`);
      assert.equal(atMs(again.json.disabled_at), atMs(off.json.disabled_at));
      const on = await ctx.api("PUT", `${base}/enable`);
      expectStatus(on, 200, "enable");
      assert.equal(on.json.disabled_at, null);
      return undefined;
    },
  },
  {
    id: "destination.delete",
    title: "DELETE a destination answers 200 {success: true}; it is gone and gets no events",
    source: "internal/apirouter/destination_handlers.go Delete",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const del = await ctx.api("DELETE", `/api/v1/tenants/${tenant}/destinations/${d.id}`);
      expectStatus(del, 200, "DELETE destination");
      assert.deepEqual(del.json, { success: true });
      expectStatus(await ctx.api("GET", `/api/v1/tenants/${tenant}/destinations/${d.id}`), 404, "GET after delete");
      const pub = await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant });
      assert.deepEqual(pub.json.destination_ids, []);
      await ctx.expectNoMore(d.endpoint, 0);
      return undefined;
    },
  },
];
