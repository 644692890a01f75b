import { strict as assert } from "node:assert";
import type { DestinationLedger } from "../../src/runstate/store";
import { buildLedger, type DestinationInputs, type LedgerInputs } from "../../src/verify/ledger";
import { testRunRecord } from "../support/run-record";

// One destination as Redis would hold it, with counters consistent with the bitmaps
// unless a test breaks them on purpose.
function dest(
  destination: number,
  l: Partial<DestinationLedger> & { accepted: number; delivered: number },
  extra: { duplicates?: number; faults?: Record<string, number>; badSignatures?: number } = {},
): DestinationInputs {
  const ledger: DestinationLedger = {
    destination,
    received: 0,
    missing: 0,
    inFlight: 0,
    faulted: 0,
    deliveredUnacknowledged: 0,
    unknown: 0,
    missingSeqs: [],
    inFlightSeqs: [],
    exhausted: 0,
    exhaustedSeqs: [],
    exhaustedSplitDone: true,
    ...l,
  };
  ledger.received = l.received ?? ledger.delivered + ledger.deliveredUnacknowledged + ledger.unknown;
  const faults = extra.faults ?? {};
  const duplicate = extra.duplicates ?? 0;
  const attempts = ledger.received + duplicate + Object.values(faults).reduce((a, b) => a + b, 0);
  const counters: Record<string, number> = {
    first: ledger.received,
    duplicate,
    attempts,
    "sig:ok": attempts - (extra.badSignatures ?? 0),
  };
  if (extra.badSignatures) counters["sig:bad"] = extra.badSignatures;
  for (const [k, n] of Object.entries(faults)) counters[`fault:${k}`] = n;
  return { ledger, counters };
}

// 2 tenants x 2 destinations; tenant 0 accepted 50 events, tenant 1 accepted 49.
function cleanInputs(): LedgerInputs {
  return {
    maxAttempts: 11,
    destinations: [
      dest(0, { accepted: 50, delivered: 50 }),
      dest(1, { accepted: 50, delivered: 50 }),
      dest(2, { accepted: 49, delivered: 49 }),
      dest(3, { accepted: 49, delivered: 49 }),
    ],
    publish: { accepted: 99, "rejected:500": 1 },
    anomalies: {},
  };
}

describe("ledger aggregation", () => {
  const rec = testRunRecord("led", 2, 2);

  it("totals a clean run, balanced and not void", () => {
    const l = buildLedger(rec, cleanInputs(), 20);
    assert.deepEqual(l.voidReasons, []);
    assert.equal(l.totals.accepted, 198);
    assert.equal(l.totals.delivered, 198);
    assert.equal(l.deliveredRatio, 1);
    assert.ok(l.destinations.every((d) => d.balanced));
    assert.deepEqual(
      l.destinations.map((d) => d.id),
      ["led-d0", "led-d1", "led-d2", "led-d3"],
    );
  });

  it("lists missing events by sequence with their destination, capped", () => {
    const inputs = cleanInputs();
    inputs.destinations[0] = dest(0, { accepted: 50, delivered: 47, missing: 3, missingSeqs: [4, 10, 98] });
    inputs.destinations[3] = dest(3, { accepted: 49, delivered: 47, missing: 2, missingSeqs: [3, 9] });
    const l = buildLedger(rec, inputs, 4);
    assert.deepEqual(l.voidReasons, []);
    assert.equal(l.totals.missing, 5);
    assert.equal(l.deliveredRatio, 193 / 198);
    assert.deepEqual(l.missingIds, [
      { eventId: "led_3", destination: 3 },
      { eventId: "led_4", destination: 0 },
      { eventId: "led_9", destination: 3 },
      { eventId: "led_10", destination: 0 },
    ]);
  });

  it("with RETRY, undelivered events that met an injected fault are in flight, not missing", () => {
    const inputs = cleanInputs();
    inputs.destinations[1] = dest(
      1,
      { accepted: 50, delivered: 48, inFlight: 2, faulted: 5, inFlightSeqs: [2, 6] },
      { faults: { "500": 7 } },
    );
    const l = buildLedger({ ...rec, retry: true }, inputs, 20);
    assert.deepEqual(l.voidReasons, []);
    assert.deepEqual(
      { missing: l.totals.missing, inFlight: l.totals.inFlight, after: l.totals.missingAfterFault },
      { missing: 0, inFlight: 2, after: 0 },
    );
    assert.deepEqual(
      l.inFlightIds.map((e) => e.eventId),
      ["led_2", "led_6"],
    );
    assert.deepEqual(l.totals.faults, { "500": 7 });
    assert.equal(l.totals.faultedEvents, 5);
  });

  it("with RETRY, events whose every attempt met a fault are missing after a fault, the rest in flight", () => {
    const inputs = cleanInputs();
    inputs.destinations[1] = dest(
      1,
      { accepted: 50, delivered: 47, inFlight: 1, exhausted: 2, faulted: 9, inFlightSeqs: [4], exhaustedSeqs: [2, 6] },
      { faults: { "500": 25 } },
    );
    const l = buildLedger({ ...rec, retry: true }, inputs, 20);
    assert.deepEqual(l.voidReasons, []);
    assert.deepEqual(
      { missing: l.totals.missing, inFlight: l.totals.inFlight, after: l.totals.missingAfterFault },
      { missing: 2, inFlight: 1, after: 2 },
    );
    assert.deepEqual(
      l.missingAfterFaultIds.map((e) => e.eventId),
      ["led_2", "led_6"],
    );
    assert.deepEqual(
      l.inFlightIds.map((e) => e.eventId),
      ["led_4"],
    );
    assert.ok(l.destinations[1].balanced);
  });

  it("without RETRY (one attempt each), faulted undelivered events are missing, split out as missing after a fault", () => {
    const inputs = cleanInputs();
    inputs.maxAttempts = 1;
    inputs.destinations[1] = dest(
      1,
      { accepted: 50, delivered: 47, missing: 1, exhausted: 2, faulted: 2, missingSeqs: [8], exhaustedSeqs: [2, 6] },
      { faults: { timeout: 2 } },
    );
    const l = buildLedger(rec, inputs, 20);
    assert.deepEqual(l.voidReasons, []);
    assert.deepEqual(
      { missing: l.totals.missing, inFlight: l.totals.inFlight, after: l.totals.missingAfterFault },
      { missing: 3, inFlight: 0, after: 2 },
    );
    assert.deepEqual(
      l.missingIds.map((e) => e.eventId),
      ["led_8"],
    );
    assert.deepEqual(
      l.missingAfterFaultIds.map((e) => e.eventId),
      ["led_2", "led_6"],
    );
    assert.deepEqual(l.inFlightIds, []);
    assert.ok(l.destinations[1].balanced);
  });

  it("counts duplicates and bad signatures without voiding the run", () => {
    const inputs = cleanInputs();
    inputs.destinations[2] = dest(2, { accepted: 49, delivered: 49 }, { duplicates: 3, badSignatures: 2 });
    const l = buildLedger(rec, inputs, 20);
    assert.deepEqual(l.voidReasons, []);
    assert.equal(l.totals.duplicates, 3);
    assert.equal(l.totals.signatures.bad, 2);
  });

  const voiding: Array<[string, (i: LedgerInputs) => void, RegExp]> = [
    [
      "unknown receipts",
      (i) => {
        i.destinations[0] = dest(0, { accepted: 50, delivered: 50, unknown: 2 });
      },
      /destination 0: 2 receipt\(s\) for event ids this run never published/,
    ],
    [
      "an unbalanced identity",
      (i) => {
        i.destinations[2] = dest(2, { accepted: 49, delivered: 47, missing: 1 });
      },
      /destination 2: ledger does not balance: accepted 49 != delivered 47 \+ missing 1 \+ in flight 0/,
    ],
    [
      "a first-delivery counter that disagrees with the bitmap",
      (i) => {
        i.destinations[1].counters.first -= 1;
        i.destinations[1].counters.attempts -= 1;
        i.destinations[1].counters["sig:ok"] -= 1;
      },
      /destination 1: first-delivery counter 49 != received bits 50/,
    ],
    [
      "attempts that do not add up",
      (i) => {
        i.destinations[3].counters.attempts += 1;
        i.destinations[3].counters["sig:ok"] += 1;
      },
      /destination 3: attempts 50 != first 49/,
    ],
    [
      "signature counts that do not add up",
      (i) => {
        i.destinations[3].counters["sig:ok"] += 1;
      },
      /destination 3: signature counts 50 != attempts 49/,
    ],
    [
      "a publish counter that disagrees with the accepted bitmaps",
      (i) => {
        i.publish.accepted = 100;
      },
      /publish counter accepted=100 != 99 accepted bits/,
    ],
    [
      "destinations of one tenant that disagree",
      (i) => {
        i.destinations[1] = dest(1, { accepted: 51, delivered: 51 });
      },
      /tenant 0: destinations disagree on accepted events \(50 vs 51\)/,
    ],
    [
      "sequence numbers accepted twice",
      (i) => {
        i.publish.accepted_again = 4;
      },
      /4 sequence number\(s\) were accepted twice/,
    ],
    [
      "routing mismatches",
      (i) => {
        i.publish.routing_mismatch = 1;
      },
      /1 publish\(es\) routed to a tenant/,
    ],
    [
      "receipts the mock could not place",
      (i) => {
        i.anomalies["unknown:test_id"] = 5;
      },
      /5 receipt\(s\) the mock could not place \(unknown:test_id\)/,
    ],
    [
      "a missing destination",
      (i) => {
        i.destinations.pop();
      },
      /ledger covers 3 of 4 destinations/,
    ],
  ];
  for (const [what, breakIt, reason] of voiding) {
    it(`is void on ${what}, and says why`, () => {
      const inputs = cleanInputs();
      breakIt(inputs);
      const l = buildLedger(rec, inputs, 20);
      assert.equal(l.voidReasons.length, 1, l.voidReasons.join(" | "));
      assert.match(l.voidReasons[0], reason);
    });
  }

  it("has no delivered ratio when nothing was accepted", () => {
    const inputs: LedgerInputs = {
      maxAttempts: 11,
      destinations: [0, 1, 2, 3].map((d) => dest(d, { accepted: 0, delivered: 0 })),
      publish: {},
      anomalies: {},
    };
    assert.equal(buildLedger(rec, inputs, 20).deliveredRatio, null);
  });
});
