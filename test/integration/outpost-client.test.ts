import { strict as assert } from "node:assert";
import { NodeHttpPort } from "../../adapters/node/http";
import { OutpostClient, OutpostError } from "../../src/outpost/client";
import { freePort } from "../support/redis-server";
import { type OutpostStandin, startOutpostStandin } from "../support/outpost-standin";

const KEY = "admin-key-do-not-print";

function rejectsWith(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  return assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof OutpostError, String(err));
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(KEY), err.message);
    assert.ok(!err.message.includes("whsec_"), err.message);
    assert.ok(!err.message.includes("\n"), err.message);
    return true;
  });
}

// Against the Outpost stand-in (test/support/outpost-standin.ts): real HTTP, real fetch.
describe("Outpost client", () => {
  let outpost: OutpostStandin;
  const http = new NodeHttpPort();
  let client: OutpostClient;
  before(async () => {
    outpost = await startOutpostStandin(KEY);
    client = new OutpostClient(http, outpost.url, KEY);
  });
  after(() => outpost?.stop());

  it("checks health: healthy, failing, unreachable", async () => {
    await client.health();
    outpost.healthStatus = 503;
    await rejectsWith(client.health(), /is not healthy: HTTP 503/);
    outpost.healthStatus = 200;
    const closed = new OutpostClient(http, `http://127.0.0.1:${await freePort()}`, KEY);
    await rejectsWith(closed.health(), /unreachable \(ECONNREFUSED.*check OUTPOST_URL/);
  });

  it("fails clearly on a wrong API key, without printing it", async () => {
    await client.checkCredentials("nobody");
    await rejectsWith(
      new OutpostClient(http, outpost.url, "wrong").checkCredentials("nobody"),
      /^OUTPOST_API_KEY was refused by Outpost \(401/,
    );
    await rejectsWith(new OutpostClient(http, outpost.url, "").checkCredentials("nobody"), /401/);
  });

  it("creates destinations idempotently and returns their signing secrets", async () => {
    await client.upsertTenant("t-a");
    await client.upsertTenant("t-a");
    const spec = { id: "d-a", url: "http://127.0.0.1:48080/webhook/x/0", topics: ["loadtest.event"] };
    const first = await client.createDestination("t-a", spec);
    const again = await client.createDestination("t-a", spec);
    assert.match(first.secret, /^whsec_[0-9a-f]{64}$/);
    assert.deepEqual(again, first);
    assert.equal(outpost.destinations.size, 1);
    assert.equal(outpost.calls.get("GET /api/v1/tenants/:t/destinations/:d"), 1);
  });

  it("refuses to reuse a destination that points elsewhere, and reports a full tenant", async () => {
    await rejectsWith(
      client.createDestination("t-a", { id: "d-a", url: "http://elsewhere:1/x", topics: ["x"] }),
      /already exists with URL .*use a new TEST_ID/,
    );
    await client.upsertTenant("t-full");
    for (let i = 0; i < 20; i++)
      await client.createDestination("t-full", { id: `full-${i}`, url: "http://m:1/w", topics: ["x"] });
    await rejectsWith(
      client.createDestination("t-full", { id: "full-20", url: "http://m:1/w", topics: ["x"] }),
      /HTTP 400: max destinations/,
    );
  });

  it("classifies publish answers", async () => {
    const ev = {
      id: "e1",
      tenantId: "t-a",
      topic: "loadtest.event",
      eligibleForRetry: false,
      metadata: { "lt-t0": "1" },
      dataJson: '{"a":1}',
    };
    assert.deepEqual(await client.publish(ev), { kind: "accepted", status: 202, destinationIds: ["d-a"] });
    assert.deepEqual(await client.publish(ev), { kind: "duplicate", status: 202 });
    outpost.failPublish.set("e2", 500);
    assert.deepEqual(await client.publish({ ...ev, id: "e2" }), { kind: "rejected", status: 500 });
    assert.deepEqual(await client.publish({ ...ev, id: "e3", tenantId: "unknown" }), {
      kind: "accepted",
      status: 202,
      destinationIds: [],
    });
    const sent = outpost.published.find((p) => p.id === "e1");
    assert.deepEqual(sent, {
      id: "e1",
      tenant_id: "t-a",
      topic: "loadtest.event",
      eligible_for_retry: false,
      metadata: { "lt-t0": "1" },
      data: { a: 1 },
    });
    const down = new OutpostClient(http, `http://127.0.0.1:${await freePort()}`, KEY);
    const res = await down.publish(ev);
    assert.equal(res.kind, "error");
  });
});
