import { strict as assert } from "node:assert";
import { NodeHttpPort } from "../../adapters/node/http";
import { OutpostClient, OutpostError } from "../../src/outpost/client";
import { targetFromHealth } from "../../src/outpost/target";
import { FAKE_NOTICE, type OutpostFake, startOutpostFake } from "../support/outpost-fake";
import { freePort } from "../support/redis-server";

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

// Against the Outpost fake (test/support/outpost-fake): real HTTP, real fetch.
describe("Outpost client", () => {
  let outpost: OutpostFake;
  // Destinations point at a closed port: the fake delivers, and nothing here should receive it.
  let nowhere: string;
  const http = new NodeHttpPort();
  let client: OutpostClient;
  before(async () => {
    outpost = await startOutpostFake({ apiKey: KEY });
    nowhere = `http://127.0.0.1:${await freePort()}`;
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

  it("tells the Outpost fake from Outpost by the fake field of /healthz", async () => {
    assert.deepEqual(await client.target(), { fake: FAKE_NOTICE });
    assert.deepEqual(targetFromHealth('{"status":"healthy","timestamp":"t","workers":{}}'), { fake: null });
    assert.deepEqual(targetFromHealth("404 page not found"), { fake: null });
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
    const spec = { id: "d-a", url: `${nowhere}/webhook/x/0`, topics: ["loadtest.event"] };
    const first = await client.createDestination("t-a", spec);
    const again = await client.createDestination("t-a", spec);
    assert.match(first.secret, /^whsec_[0-9a-f]{64}$/);
    assert.deepEqual(again, first);
    assert.equal(outpost.store.allDestinations().length, 1);
    assert.equal(outpost.calls.get("GET /api/v1/tenants/:t/destinations/:d"), 1);
  });

  it("refuses to reuse a destination that points elsewhere, and reports a full tenant", async () => {
    await rejectsWith(
      client.createDestination("t-a", { id: "d-a", url: `${nowhere}/elsewhere`, topics: ["x"] }),
      /already exists with URL .*use a new TEST_ID/,
    );
    await client.upsertTenant("t-full");
    for (let i = 0; i < 20; i++)
      await client.createDestination("t-full", { id: `full-${i}`, url: `${nowhere}/w`, topics: ["x"] });
    await rejectsWith(
      client.createDestination("t-full", { id: "full-20", url: `${nowhere}/w`, topics: ["x"] }),
      /HTTP 400: maximum number of destinations per tenant reached/,
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
