import { strict as assert } from "node:assert";
import { type ConformanceCase, errorBody, expectStatus, header } from "./case-kit";

// POST /publish: the acknowledgement, idempotency, validation and routing.

const sorted = (ids: unknown) => [...(ids as string[])].sort();

export const PUBLISH_CASES: ConformanceCase[] = [
  {
    id: "publish.accepted-202",
    title: "a matched event is 202 {id, duplicate: false, destination_ids: [matched]}",
    source: "internal/apirouter/publish_handlers.go Ingest, internal/publishmq/eventhandler.go HandleResult",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const id = ctx.name("e");
      const res = await ctx.publishAccepted({ id, tenant_id: tenant });
      assert.deepEqual(res.json, { id, duplicate: false, destination_ids: [d.id] });
      await d.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      return undefined;
    },
  },
  {
    id: "publish.no-match-202-empty",
    title: "an unknown tenant, or no matching destination, is still 202 with destination_ids: []",
    source: "internal/publishmq/eventhandler.go Handle",
    async run(ctx) {
      const id = ctx.name("e");
      const res = await ctx.publishAccepted({ id, tenant_id: ctx.name("nobody") });
      assert.deepEqual(res.json, { id, duplicate: false, destination_ids: [] });
      return undefined;
    },
  },
  {
    id: "publish.generated-id",
    title: "an event published without an id gets one, and is delivered under it",
    source: "internal/apirouter/publish_handlers.go toEvent",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const res = await ctx.publishAccepted({ tenant_id: tenant });
      assert.ok(typeof res.json.id === "string" && res.json.id.length > 0, "no id in the answer");
      const [r] = await d.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      assert.equal(header(r, "x-outpost-event-id"), res.json.id);
      return `generated id like ${res.json.id.replace(/[0-9a-f]/gi, "x")}`;
    },
  },
  {
    id: "publish.duplicate-id",
    title: "publishing an id again is 202 {duplicate: true, destination_ids: [matched]} and is not delivered again",
    source: "internal/publishmq/eventhandler.go Handle, internal/idempotence/idempotence.go",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const id = ctx.name("e");
      await ctx.publishAccepted({ id, tenant_id: tenant });
      await d.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      const again = await ctx.publishAccepted({ id, tenant_id: tenant, data: { other: true } });
      assert.deepEqual(again.json, { id, duplicate: true, destination_ids: [d.id] });
      await ctx.expectNoMore(d.endpoint, 1);
      return undefined;
    },
  },
  {
    id: "publish.idempotency-only-when-matched",
    title: "an id first published with no match is not remembered: published again with a match it is delivered",
    source: "internal/publishmq/eventhandler.go Handle (idempotence.Exec only when len(matched) > 0)",
    async run(ctx) {
      const empty = await ctx.tenant("empty");
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const id = ctx.name("e");
      await ctx.publishAccepted({ id, tenant_id: empty });
      const res = await ctx.publishAccepted({ id, tenant_id: tenant });
      assert.deepEqual(res.json, { id, duplicate: false, destination_ids: [d.id] });
      await d.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      return undefined;
    },
  },
  {
    id: "publish.idempotency-across-tenants",
    title:
      "the idempotency key is the event id alone: the same id for another tenant is a duplicate and is not delivered",
    source: "internal/publishmq/eventhandler.go idempotencyKeyFromEvent",
    async run(ctx) {
      const a = await ctx.tenant("a");
      const b = await ctx.tenant("b");
      const da = await ctx.destination(a);
      const db = await ctx.destination(b);
      const id = ctx.name("e");
      await ctx.publishAccepted({ id, tenant_id: a });
      const res = await ctx.publishAccepted({ id, tenant_id: b });
      assert.deepEqual(res.json, { id, duplicate: true, destination_ids: [db.id] });
      await da.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      await ctx.expectNoMore(db.endpoint, 0);
      return undefined;
    },
  },
  {
    id: "publish.validation-422",
    title: "bad publishes get 422: data not an object or missing, tenant_id missing, non-string metadata, bad JSON",
    source: "internal/apirouter/publish_handlers.go Ingest, internal/apirouter/errorhandler_middleware.go",
    async run(ctx) {
      const cases: Array<[string, unknown, unknown]> = [
        [
          "data array",
          { tenant_id: "t", data: [1] },
          { status: 422, message: "validation error", data: ["data must be a valid JSON object"] },
        ],
        [
          "data string",
          { tenant_id: "t", data: "x" },
          { status: 422, message: "validation error", data: ["data must be a valid JSON object"] },
        ],
        [
          "data null",
          { tenant_id: "t", data: null },
          { status: 422, message: "validation error", data: ["data must be a valid JSON object"] },
        ],
        ["no data", { tenant_id: "t" }, { status: 422, message: "validation error", data: ["data is required"] }],
        ["no tenant_id", { data: {} }, { status: 422, message: "validation error", data: ["tenant_id is required"] }],
        ["metadata number", { tenant_id: "t", data: {}, metadata: { a: 1 } }, { status: 422, message: "invalid JSON" }],
        [
          "eligible_for_retry string",
          { tenant_id: "t", data: {}, eligible_for_retry: "yes" },
          { status: 422, message: "invalid JSON" },
        ],
        ["not JSON", "{", { status: 422, message: "invalid JSON" }],
      ];
      const seen: string[] = [];
      for (const [what, body, expected] of cases) {
        const res = await ctx.api("POST", "/api/v1/publish", body);
        seen.push(`${what}: ${errorBody(res)}`);
        assert.deepEqual(res.json, expected, `${what}: got ${errorBody(res)}`);
        assert.equal(res.status, 422, what);
      }
      return seen.join("; ");
    },
  },
  {
    id: "publish.topic-routing",
    title: 'routing by topic: exact topics, "*" subscribes to all, an event without a topic matches every destination',
    source:
      "internal/models/entities.go Topics.MatchTopic, internal/tenantstore/redistenantstore/redistenantstore.go MatchEvent",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const a = await ctx.destination(tenant, { topics: ["conf.a"] });
      const b = await ctx.destination(tenant, { topics: ["conf.b"] });
      const all = await ctx.destination(tenant, { topics: "*" });
      const route = async (topic: string | undefined) =>
        sorted((await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant, topic })).json.destination_ids);
      assert.deepEqual(await route("conf.a"), sorted([a.id, all.id]));
      assert.deepEqual(await route("conf.zzz"), [all.id]);
      assert.deepEqual(await route(undefined), sorted([a.id, b.id, all.id]));
      await b.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      await a.endpoint.waitFor(2, ctx.target.timing.deliverMs);
      await all.endpoint.waitFor(3, ctx.target.timing.deliverMs);
      return undefined;
    },
  },
  {
    id: "publish.destination-id",
    title: "destination_id limits the event to that destination, when it exists and its topics match",
    source: "internal/publishmq/eventhandler.go matchSpecificDestination",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const a = await ctx.destination(tenant);
      const b = await ctx.destination(tenant);
      const other = await ctx.destination(tenant, { topics: ["conf.other"] });
      const send = async (destination_id: string) =>
        (await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant, destination_id })).json.destination_ids;
      assert.deepEqual(await send(b.id), [b.id]);
      assert.deepEqual(await send(other.id), []);
      assert.deepEqual(await send("no-such-destination"), []);
      await b.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      await ctx.expectNoMore(a.endpoint, 0);
      assert.equal(other.endpoint.requests.length, 0);
      return undefined;
    },
  },
  {
    id: "publish.disabled-not-routed",
    title: "a disabled destination is not matched and gets nothing; enabled again it gets the next events",
    source:
      "internal/tenantstore/redistenantstore/redistenantstore.go MatchEvent, internal/deliverymq/messagehandler.go ensurePublishableDestination",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const on = await ctx.destination(tenant);
      const off = await ctx.destination(tenant);
      const base = `/api/v1/tenants/${tenant}/destinations/${off.id}`;
      expectStatus(await ctx.api("PUT", `${base}/disable`), 200, "disable");
      const res = await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant });
      assert.deepEqual(res.json.destination_ids, [on.id]);
      await on.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      await ctx.expectNoMore(off.endpoint, 0);
      expectStatus(await ctx.api("PUT", `${base}/enable`), 200, "enable");
      const back = await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant });
      assert.deepEqual(sorted(back.json.destination_ids), sorted([on.id, off.id]));
      await off.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      return undefined;
    },
  },
];
