import { strict as assert } from "node:assert";
import { signBody } from "../../mock-webhook/signature";
import { parseRfc3339Ms } from "../../mock-webhook/timestamps";
import { type CaseContext, type ConformanceCase, header } from "./case-kit";
import type { Endpoint, Received } from "./receiver";

// What reaches the destination: the request, its headers and signature, retries,
// timeouts and the delivery concurrency limit.

const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function gapsMs(requests: Received[]): number[] {
  return requests.slice(1).map((r, i) => Math.round(r.arrivedAtMs - requests[i].arrivedAtMs));
}

// Every retry waits at least its scheduled delay after the failed attempt ended; it may be
// later (retryLateMs), never earlier. 50 ms of slack covers timer and clock granularity.
function assertRetryGaps(ctx: CaseContext, requests: Received[], firstAttempt = 1): void {
  gapsMs(requests).forEach((gap, i) => {
    const delay = ctx.target.policy.delayMsAfter(firstAttempt + i);
    assert.ok(
      gap >= delay - 50,
      `attempt ${firstAttempt + i + 1} came ${gap} ms after the previous one, before its ${delay} ms delay`,
    );
  });
}

// Long enough that a retry, if one were scheduled after attempt `attempt`, would have come.
function retryWindowMs(ctx: CaseContext, attempt: number): number {
  return ctx.target.policy.delayMsAfter(attempt) + ctx.target.timing.retryLateMs;
}

async function oneEvent(
  ctx: CaseContext,
  endpointOptions: Parameters<CaseContext["destination"]>[1],
  event: Record<string, unknown> = {},
) {
  const tenant = await ctx.tenant("t");
  const d = await ctx.destination(tenant, endpointOptions);
  const id = ctx.name("e");
  const sentAtMs = performance.timeOrigin + performance.now();
  await ctx.publishAccepted({ id, tenant_id: tenant, ...event });
  return { tenant, d, id, sentAtMs, endpoint: d.endpoint as Endpoint };
}

export const DELIVERY_CASES: ConformanceCase[] = [
  {
    id: "delivery.request-url-and-body",
    title:
      "POST to config.url exactly (path and query kept); body = the event's data as Go's json.Marshal writes a RawMessage: whitespace between tokens removed, <, >, &, U+2028 escaped, all else kept; Content-Type application/json",
    source:
      "internal/destregistry/providers/destwebhook/destwebhook.go Format; measured: the data (json.RawMessage) is compacted on its way through the queue",
    async run(ctx) {
      // Key order, number spelling and escapes survive; spacing outside strings does not, and
      // <, >, & and U+2028 come out as \u escapes (Go's json.Marshal of a RawMessage).
      const data =
        '{ "b" : 1.50,"a":[1e2, "caf\\u00e9", "é", " a b "],\n "html": "<&>\u2028", "nested": {"z": null, "y": true} }';
      const compacted =
        '{"b":1.50,"a":[1e2,"caf\\u00e9","é"," a b "],"html":"\\u003c\\u0026\\u003e\\u2028","nested":{"z":null,"y":true}}';
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant, { suffix: "/deep/path?x=1&y=two" });
      const id = ctx.name("e");
      const res = await ctx.api(
        "POST",
        "/api/v1/publish",
        `{"id":${JSON.stringify(id)},"tenant_id":${JSON.stringify(tenant)},"topic":"conf.event","eligible_for_retry":false,"data":${data}}`,
      );
      assert.equal(res.status, 202, res.body);
      const [r] = await d.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      assert.equal(r.method, "POST");
      assert.equal(`${ctx.receiver.baseUrl}${r.path}`, d.endpoint.url);
      assert.equal(r.body.toString("utf8"), compacted);
      assert.equal(header(r, "content-type"), "application/json");
      return undefined;
    },
  },
  {
    id: "delivery.system-headers",
    title:
      "x-outpost-event-id, -topic, -timestamp (RFC3339, seconds, UTC); -timestamp-ms (RFC3339Nano) only when DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP",
    source: "internal/destregistry/basepublisher.go MakeMetadata",
    async run(ctx) {
      const { id, sentAtMs, endpoint } = await oneEvent(ctx, {});
      const [r] = await endpoint.waitFor(1, ctx.target.timing.deliverMs);
      assert.equal(header(r, "x-outpost-event-id"), id);
      assert.equal(header(r, "x-outpost-topic"), "conf.event");
      const ts = header(r, "x-outpost-timestamp") ?? "";
      assert.match(ts, RFC3339_SECONDS);
      const tsMs = Date.parse(ts);
      assert.ok(
        tsMs >= Math.floor(sentAtMs / 1000) * 1000 - 1000 && tsMs <= r.arrivedAtMs + 1000,
        `timestamp ${ts} is not the send time`,
      );
      const ms = header(r, "x-outpost-timestamp-ms");
      if (!ctx.target.settings.includeMillisecondTimestamp) {
        assert.equal(ms, undefined, "timestamp-ms sent although not enabled");
        return "timestamp-ms off: absent";
      }
      assert.match(ms ?? "(absent)", RFC3339_NANO);
      const attemptMs = parseRfc3339Ms(ms) as number;
      // Same machine, same clock: the attempt starts after the publish was sent and before it arrives.
      assert.ok(
        attemptMs >= sentAtMs - 5 && attemptMs <= r.arrivedAtMs + 5,
        `timestamp-ms ${ms} outside [publish sent, arrival]`,
      );
      return `timestamp-ms on: ${ms?.replace(/\d/g, "9")}`;
    },
  },
  {
    id: "delivery.signature-v0-hmac",
    title: "x-outpost-signature is v0=<hex HMAC-SHA256 of the body keyed with the whole whsec_ secret>",
    source: "internal/destregistry/providers/destwebhook/signature.go",
    async run(ctx) {
      const { d, endpoint } = await oneEvent(ctx, {}, { data: { signed: "body", n: 1 } });
      const [r] = await endpoint.waitFor(1, ctx.target.timing.deliverMs);
      assert.equal(header(r, "x-outpost-signature"), `v0=${signBody(r.body, d.secret)}`);
      return undefined;
    },
  },
  {
    id: "delivery.admin-secret-signs",
    title: "a secret set by the admin at creation signs the deliveries",
    source: "internal/destregistry/providers/destwebhook/destwebhook.go Preprocess",
    async run(ctx) {
      const secret = "whsec_conformance_given_secret";
      const { d, endpoint } = await oneEvent(ctx, { extra: { credentials: { secret } } });
      assert.equal(d.secret, secret);
      const [r] = await endpoint.waitFor(1, ctx.target.timing.deliverMs);
      assert.equal(header(r, "x-outpost-signature"), `v0=${signBody(r.body, secret)}`);
      return undefined;
    },
  },
  {
    id: "delivery.metadata-headers",
    title:
      "delivery_metadata and event metadata become x-outpost-<key> headers; precedence system < delivery_metadata < event metadata",
    source: "internal/destregistry/basepublisher.go MakeMetadata",
    async run(ctx) {
      const { endpoint } = await oneEvent(
        ctx,
        { extra: { delivery_metadata: { "dm-only": "dm", src: "dm", topic: "dm-topic" } } },
        { metadata: { "lt-t0": "1700000000000.5", src: "event", timestamp: "event-ts" } },
      );
      const [r] = await endpoint.waitFor(1, ctx.target.timing.deliverMs);
      assert.deepEqual(
        ["x-outpost-lt-t0", "x-outpost-dm-only", "x-outpost-src", "x-outpost-topic", "x-outpost-timestamp"].map((h) =>
          header(r, h),
        ),
        ["1700000000000.5", "dm", "event", "dm-topic", "event-ts"],
      );
      return undefined;
    },
  },
  {
    id: "delivery.custom-headers",
    title: "config.custom_headers are sent; a metadata header of the same name wins",
    source: "internal/destregistry/providers/destwebhook/destwebhook.go Format",
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const e = ctx.receiver.endpoint();
      const created = await ctx.api("POST", `/api/v1/tenants/${tenant}/destinations`, {
        type: "webhook",
        topics: ["conf.event"],
        config: { url: e.url, custom_headers: { "X-Custom-A": "a", "X-Outpost-Clash": "from-custom" } },
      });
      assert.equal(created.status, 201, created.body);
      await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant, metadata: { clash: "from-metadata" } });
      const [r] = await e.waitFor(1, ctx.target.timing.deliverMs);
      assert.equal(header(r, "x-custom-a"), "a");
      assert.equal(header(r, "x-outpost-clash"), "from-metadata");
      return undefined;
    },
  },
  {
    id: "delivery.status-below-400-is-success",
    title: "any status below 400 (here 399) is a success: no retry",
    source: "internal/destregistry/providers/destwebhook/httphelper.go ExecuteHTTPRequest",
    needs: ["shortRetries"],
    async run(ctx) {
      const { endpoint } = await oneEvent(ctx, { behaviour: () => ({ status: 399 }) }, { eligible_for_retry: true });
      await endpoint.waitFor(1, ctx.target.timing.deliverMs);
      await ctx.expectNoMore(endpoint, 1, retryWindowMs(ctx, 1));
      return undefined;
    },
  },
  {
    id: "retry.status-400-is-failure",
    title: "status 400 is a failure: retried after the first delay; a 2xx ends it",
    source: "internal/destregistry/providers/destwebhook/httphelper.go, internal/deliverymq/messagehandler.go",
    needs: ["shortRetries"],
    async run(ctx) {
      const { endpoint } = await oneEvent(
        ctx,
        { behaviour: (n) => ({ status: n === 0 ? 400 : 200 }) },
        { eligible_for_retry: true },
      );
      const got = await endpoint.waitFor(2, retryWindowMs(ctx, 1) + ctx.target.timing.deliverMs, "attempts");
      assertRetryGaps(ctx, got);
      await ctx.expectNoMore(endpoint, 2, retryWindowMs(ctx, 2));
      return `gap ${gapsMs(got)[0]} ms`;
    },
  },
  {
    id: "retry.schedule-exhausted",
    title: "an always-failing eligible event gets 1 + retry-limit attempts, spaced by the schedule, then no more",
    source:
      "internal/deliverymq/messagehandler.go shouldScheduleRetry, internal/backoff/backoff.go, internal/config/validation.go",
    needs: ["shortRetries"],
    async run(ctx) {
      const { endpoint } = await oneEvent(ctx, { behaviour: () => ({ status: 500 }) }, { eligible_for_retry: true });
      const attempts = 1 + ctx.target.policy.maxRetries;
      let waitMs = ctx.target.timing.deliverMs;
      for (let a = 1; a < attempts; a++) waitMs += retryWindowMs(ctx, a);
      const got = await endpoint.waitFor(attempts, waitMs, "attempts");
      assertRetryGaps(ctx, got);
      await ctx.expectNoMore(endpoint, attempts, retryWindowMs(ctx, attempts));
      return `${attempts} attempts, gaps ${gapsMs(got).join(", ")} ms`;
    },
  },
  {
    id: "retry.not-eligible-single-attempt",
    title: "eligible_for_retry: false gets exactly one attempt, even when it fails",
    source: "internal/deliverymq/messagehandler.go shouldScheduleRetry",
    needs: ["shortRetries"],
    async run(ctx) {
      const { endpoint } = await oneEvent(ctx, { behaviour: () => ({ status: 500 }) }, { eligible_for_retry: false });
      await endpoint.waitFor(1, ctx.target.timing.deliverMs);
      await ctx.expectNoMore(endpoint, 1, retryWindowMs(ctx, 1));
      return undefined;
    },
  },
  {
    id: "retry.eligible-by-default",
    title: "eligible_for_retry defaults to true: a failure without it is retried",
    source: "internal/apirouter/publish_handlers.go toEvent",
    needs: ["shortRetries"],
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant, { behaviour: (n) => ({ status: n === 0 ? 503 : 200 }) });
      const body = `{"id":${JSON.stringify(ctx.name("e"))},"tenant_id":${JSON.stringify(tenant)},"topic":"conf.event","data":{}}`;
      const res = await ctx.api("POST", "/api/v1/publish", body);
      assert.equal(res.status, 202, res.body);
      await d.endpoint.waitFor(2, ctx.target.timing.deliverMs + retryWindowMs(ctx, 1), "attempts");
      return undefined;
    },
  },
  {
    id: "retry.timeout-is-failure",
    title: "an answer slower than DELIVERY_TIMEOUT_SECONDS is a failed attempt and is retried",
    source: "internal/destregistry/registry.go PublishEvent (context.WithTimeout)",
    needs: ["shortRetries"],
    async run(ctx) {
      const timeoutMs = ctx.target.settings.deliveryTimeoutSeconds * 1000;
      const { endpoint } = await oneEvent(
        ctx,
        { behaviour: (n) => (n === 0 ? { status: 200, holdMs: timeoutMs + 1000 } : { status: 200 }) },
        { eligible_for_retry: true },
      );
      const got = await endpoint.waitFor(
        2,
        ctx.target.timing.deliverMs + timeoutMs + retryWindowMs(ctx, 1),
        "attempts",
      );
      const gap = gapsMs(got)[0];
      assert.ok(
        gap >= timeoutMs + ctx.target.policy.delayMsAfter(1) - 50,
        `retry came ${gap} ms after the first attempt, before timeout + delay`,
      );
      await ctx.expectNoMore(endpoint, 2, retryWindowMs(ctx, 2));
      return `timeout ${timeoutMs} ms, retry ${gap} ms after the first attempt`;
    },
  },
  {
    id: "delivery.concurrency-limit",
    title: "at most DELIVERY_MAX_CONCURRENCY deliveries are in flight at once, and that many are used",
    source: "internal/consumer/consumer.go, internal/config/config.go (DeliveryMaxConcurrency default 1)",
    async run(ctx) {
      const limit = ctx.target.settings.deliveryMaxConcurrency;
      const holdMs = Math.min(600, (ctx.target.settings.deliveryTimeoutSeconds * 1000) / 2);
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant, { behaviour: () => ({ status: 200, holdMs }) });
      const events = 2 * limit + 1;
      await Promise.all(
        Array.from({ length: events }, () => ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant })),
      );
      await d.endpoint.waitFor(events, ctx.target.timing.deliverMs + 3 * holdMs * Math.ceil(events / limit));
      assert.equal(d.endpoint.maxInFlight, limit, `at most ${d.endpoint.maxInFlight} in flight, expected ${limit}`);
      return `limit ${limit}, ${events} events held ${holdMs} ms each`;
    },
  },
];
