import { strict as assert } from "node:assert";
import { eventOutcome, publishRunOf } from "../../src/publish/publish-event";
import { testRunRecord } from "../support/run-record";

// What Outpost's answer to a publish means (src/publish/publish-event.ts): the
// usual answer is read without parsing it; every other answer is parsed.
describe("publish outcome from Outpost's answer", () => {
  // Tenant 1 of 2 owns destinations 2 and 3 (seq 1, 3, 5 ... go to it).
  const run = publishRunOf(testRunRecord("po1", 2, 2));
  const profile = run.profiles[0];
  const timing = { scheduledMs: 1000, startedMs: 1001 };
  const answer = (body: string, status = 202) => eventOutcome(run, profile, 3, timing, { status, body }, 1005);
  const ids = '"destination_ids":["po1-d2","po1-d3"]';

  it("Outpost's usual answer (compact, every destination in order): accepted, routed everywhere", () => {
    const o = answer(`{"id":"po1_3","duplicate":false,${ids}}`);
    assert.deepEqual([o.verdict, o.routingMismatch, o.latencyMs], ["accepted", false, 4]);
    assert.deepEqual(o.record, {
      kind: "accepted",
      seq: 3,
      t0Ms: 1000,
      startedMs: 1001,
      t2Ms: 1005,
      routed: undefined,
      counters: undefined,
    });
  });

  it("reads the same meaning from answers it has to parse", () => {
    // Spaced JSON, ids in another order: still every destination.
    const spaced = answer('{ "id": "po1_3", "duplicate": false, "destination_ids": ["po1-d3", "po1-d2"] }');
    assert.deepEqual([spaced.verdict, spaced.routingMismatch, spaced.record.kind], ["accepted", false, "accepted"]);
    // The same ids, but a duplicate.
    assert.equal(answer(`{"id":"po1_3","duplicate":true,${ids}}`).verdict, "duplicate");
    // One destination left out: not routed there.
    const fewer = answer('{"id":"po1_3","duplicate":false,"destination_ids":["po1-d2"]}');
    assert.equal(fewer.routingMismatch, true);
    assert.deepEqual(fewer.record.kind === "accepted" && fewer.record.routed, [true, false]);
    // A destination the run did not create, after the expected ones: the expected list is a prefix, not the answer.
    const more = answer('{"id":"po1_3","duplicate":false,"destination_ids":["po1-d2","po1-d3","x"]}');
    assert.deepEqual(more.record.kind === "accepted" && more.record.counters, ["routing_unexpected"]);
    // Another tenant's destinations: not this event's.
    const other = answer('{"id":"po1_3","duplicate":false,"destination_ids":["po1-d0","po1-d1"]}');
    assert.equal(other.routingMismatch, true);
    // No ids at all, a refusal, no answer.
    const unreadable = answer('{"id":"po1_3"}').record;
    assert.deepEqual(unreadable.kind === "accepted" && unreadable.counters, ["routing_unreadable"]);
    assert.deepEqual([answer(`{"duplicate":false,${ids}}`, 500).reason], ["rejected:500"]);
    assert.deepEqual(
      [eventOutcome(run, profile, 3, timing, { status: 0, body: "", error: "connection refused" }, 1005).reason],
      ["error:refused"],
    );
  });
});
