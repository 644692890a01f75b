import { strict as assert } from "node:assert";
import { signBody } from "../../mock-webhook/signature";
import { type CaseContext, type ConformanceCase, expectStatus, header } from "./case-kit";
import type { TargetControl } from "./target";

// Stopping and starting the Outpost process mid-run. Outpost keeps tenants, destinations,
// idempotency keys and scheduled retries in Redis and queued deliveries in RabbitMQ's
// durable delivery queue (internal/tenantstore/redistenantstore, internal/idempotence,
// internal/deliverymq/retry.go, internal/mqinfra/rabbitmq.go), so none of it belongs to
// the process. A real Outpost needs OUTPOST_STOP_CMD and OUTPOST_START_CMD for these.

function retryWindow(ctx: CaseContext): number {
  return ctx.target.policy.delayMsAfter(1) + ctx.target.timing.retryLateMs;
}

function control(ctx: CaseContext): TargetControl {
  return ctx.target.control as TargetControl;
}

export const LIFECYCLE_CASES: ConformanceCase[] = [
  {
    id: "lifecycle.restart-keeps-state",
    title:
      "while stopped, publishes are refused; after a restart tenants, destinations, secrets and idempotency keys are all there",
    source: "internal/tenantstore/redistenantstore/redistenantstore.go, internal/idempotence/idempotence.go",
    needs: ["control"],
    async run(ctx) {
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant);
      const seen = ctx.name("e");
      await ctx.publishAccepted({ id: seen, tenant_id: tenant });
      await d.endpoint.waitFor(1, ctx.target.timing.deliverMs);
      // Let the attempt finish (answered and acknowledged) before the stop.
      await ctx.sleep(ctx.target.timing.quietMs);
      await control(ctx).stop();
      try {
        const down = await ctx.publish({ id: ctx.name("e"), tenant_id: tenant });
        assert.equal(down.status, 0, `a stopped Outpost answered ${down.status}`);
      } finally {
        await control(ctx).start();
      }
      const read = await ctx.api("GET", `/api/v1/tenants/${tenant}/destinations/${d.id}`);
      expectStatus(read, 200, "destination after restart");
      assert.equal(read.json.credentials.secret, d.secret);
      const dup = await ctx.publishAccepted({ id: seen, tenant_id: tenant });
      assert.equal(dup.json.duplicate, true, "the idempotency key did not survive the restart");
      const fresh = ctx.name("e");
      await ctx.publishAccepted({ id: fresh, tenant_id: tenant });
      const got = await d.endpoint.waitFor(2, ctx.target.timing.deliverMs);
      assert.equal(header(got[1], "x-outpost-event-id"), fresh);
      assert.equal(header(got[1], "x-outpost-signature"), `v0=${signBody(got[1].body, d.secret)}`);
      await ctx.expectNoMore(d.endpoint, 2);
      return undefined;
    },
  },
  {
    id: "lifecycle.restart-keeps-scheduled-retry",
    title: "a retry scheduled before a restart is still made after it",
    source: "internal/deliverymq/retry.go (retries wait in Redis: rsmq deliverymq-retry)",
    needs: ["control", "shortRetries"],
    async run(ctx) {
      // Attempts 1 and 2 fail; the stop comes right after attempt 2, so the retry that is
      // due (the longer second delay) falls while Outpost is down.
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant, { behaviour: (n) => ({ status: n < 2 ? 500 : 200 }) });
      await ctx.publishAccepted({ id: ctx.name("e"), tenant_id: tenant, eligible_for_retry: true });
      const delayMs = ctx.target.policy.delayMsAfter(2);
      await d.endpoint.waitFor(2, ctx.target.timing.deliverMs + retryWindow(ctx), "attempts");
      // Let attempt 2 finish (retry scheduled, message acknowledged) before the stop.
      await ctx.sleep(Math.min(ctx.target.timing.quietMs, delayMs / 4));
      await control(ctx).stop();
      const stoppedAt = Date.now();
      // Stay down past the retry's due time: it must wait for the restart, not be lost.
      await ctx.sleep(delayMs + 200);
      await control(ctx).start();
      const got = await d.endpoint.waitFor(3, ctx.target.timing.deliverMs + ctx.target.timing.retryLateMs, "attempts");
      assert.ok(got[2].arrivedAtMs > stoppedAt, "the retry came before Outpost had stopped");
      await ctx.expectNoMore(d.endpoint, 3);
      return `retry ${Math.round(got[2].arrivedAtMs - stoppedAt)} ms after the stop`;
    },
  },
  {
    id: "lifecycle.restart-delivers-queued",
    title:
      "a stop (SIGTERM) lets the deliveries in flight finish; the queued ones are made after the start; each exactly once",
    source: "internal/mqinfra/rabbitmq.go (durable delivery queue), internal/app/app.go (graceful shutdown); measured",
    needs: ["control"],
    async run(ctx) {
      const limit = ctx.target.settings.deliveryMaxConcurrency;
      const holdMs = Math.min(1500, (ctx.target.settings.deliveryTimeoutSeconds * 1000) / 2);
      const tenant = await ctx.tenant("t");
      const d = await ctx.destination(tenant, { behaviour: () => ({ status: 200, holdMs }) });
      const ids = Array.from({ length: limit + 3 }, () => ctx.name("e"));
      for (const id of ids) await ctx.publishAccepted({ id, tenant_id: tenant, eligible_for_retry: true });
      // Stop while the first `limit` are held at the destination and the rest are queued.
      await d.endpoint.waitFor(Math.min(limit, ids.length), ctx.target.timing.deliverMs);
      await control(ctx).stop();
      const stoppedAt = Date.now();
      await control(ctx).start();
      const deadline =
        Date.now() + ctx.target.timing.deliverMs + ctx.target.timing.retryLateMs + 4 * holdMs * ids.length;
      const distinct = () => new Set(d.endpoint.requests.map((r) => header(r, "x-outpost-event-id")));
      while (distinct().size < ids.length && Date.now() < deadline) await ctx.sleep(100);
      const missing = ids.filter((id) => !distinct().has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${ids.length} events never delivered after the restart`);
      await ctx.expectNoMore(d.endpoint, ids.length);
      const after = d.endpoint.requests.filter((r) => r.arrivedAtMs > stoppedAt).length;
      return `${ids.length} events, ${after} delivered after the stop`;
    },
  },
];
