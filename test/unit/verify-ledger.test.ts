import { strict as assert } from "node:assert";
import type { DestinationSnapshot, RunSnapshot } from "../../src/runstate/store";
import { buildLedger, type LedgerOptions } from "../../src/verify/ledger";
import { testRunRecord } from "../support/run-record";

// One destination as the snapshot script would return it, with counters
// consistent with the bitmaps unless a test breaks them on purpose.
type DestinationFigures = Partial<Omit<DestinationSnapshot, "destination" | "counters">> & { delivered: number };

function dest(
  destination: number,
  l: DestinationFigures,
  extra: { duplicates?: number; faults?: Record<string, number>; badSignatures?: number; unrecorded?: number } = {},
): DestinationSnapshot {
  const s: DestinationSnapshot = {
    destination,
    counters: {},
    received: 0,
    faulted: 0,
    unacknowledged: 0,
    notRouted: 0,
    undeliveredNoFault: 0,
    undeliveredNoFaultSeqs: [],
    faultPending: 0,
    faultPendingSeqs: [],
    faultExhausted: 0,
    faultExhaustedSeqs: [],
    exhaustedSplitDone: true,
    ...l,
  };
  s.received = l.received ?? s.delivered + s.unacknowledged + (extra.unrecorded ?? 0);
  const faults = extra.faults ?? {};
  const duplicate = extra.duplicates ?? 0;
  const attempts = s.received + duplicate + Object.values(faults).reduce((a, b) => a + b, 0);
  s.counters = { first: s.received, duplicate, attempts, "sig:ok": attempts - (extra.badSignatures ?? 0) };
  if (extra.badSignatures) s.counters["sig:bad"] = extra.badSignatures;
  for (const [k, n] of Object.entries(faults)) s.counters[`fault:${k}`] = n;
  return s;
}

// 2 tenants x 2 destinations; tenant 0 accepted 50 events, tenant 1 accepted 49.
function cleanSnapshot(): RunSnapshot {
  return {
    recordPttlMs: 600_000,
    oldestPublishKeyPttlMs: 600_500,
    runEnd: { endedAtMs: 1_700_000_010_000, teardowns: 1, cutShort: 0 },
    tenants: [
      { accepted: 50, rejected: 0 },
      { accepted: 49, rejected: 1 },
    ],
    destinations: [
      dest(0, { delivered: 50 }),
      dest(1, { delivered: 50 }),
      dest(2, { delivered: 49 }),
      dest(3, { delivered: 49 }),
    ],
    publish: [{ accepted: 99, "rejected:500": 1 }],
    anomalies: {},
    routing: {},
  };
}

const ended = (listCap = 20, maxAttempts = 11): LedgerOptions => ({ listCap, maxAttempts, phase: "ended" });

describe("ledger aggregation", () => {
  const rec = testRunRecord("led", 2, 2);

  it("totals a clean run, balanced and not void", () => {
    const l = buildLedger(rec, cleanSnapshot(), ended());
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
    const inputs = cleanSnapshot();
    inputs.destinations[0] = dest(0, { delivered: 47, undeliveredNoFault: 3, undeliveredNoFaultSeqs: [4, 10, 98] });
    inputs.destinations[3] = dest(3, { delivered: 47, undeliveredNoFault: 2, undeliveredNoFaultSeqs: [3, 9] });
    const l = buildLedger(rec, inputs, ended(4));
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
    const inputs = cleanSnapshot();
    inputs.destinations[1] = dest(
      1,
      { delivered: 48, faultPending: 2, faulted: 5, faultPendingSeqs: [2, 6] },
      { faults: { "500": 7 } },
    );
    const l = buildLedger(testRunRecord("led", 2, 2, { retry: true }), inputs, ended());
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
    const inputs = cleanSnapshot();
    inputs.destinations[1] = dest(
      1,
      {
        delivered: 47,
        faultPending: 1,
        faultExhausted: 2,
        faulted: 9,
        faultPendingSeqs: [4],
        faultExhaustedSeqs: [2, 6],
      },
      { faults: { "500": 25 } },
    );
    const l = buildLedger(testRunRecord("led", 2, 2, { retry: true }), inputs, ended());
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
    const inputs = cleanSnapshot();
    inputs.destinations[1] = dest(
      1,
      {
        delivered: 47,
        undeliveredNoFault: 1,
        faultExhausted: 2,
        faulted: 2,
        undeliveredNoFaultSeqs: [8],
        faultExhaustedSeqs: [2, 6],
      },
      { faults: { timeout: 2 } },
    );
    const l = buildLedger(rec, inputs, ended(20, 1));
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

  it("while the run is in progress, counts undelivered events as in flight and early receipts as not yet acknowledged", () => {
    const inputs = cleanSnapshot();
    inputs.runEnd = { endedAtMs: null, teardowns: 0, cutShort: 0 };
    // d0: 3 not delivered yet, 2 receipts whose publish ack is not recorded yet; d1: one retry pending.
    inputs.destinations[0] = dest(
      0,
      { delivered: 47, undeliveredNoFault: 3, undeliveredNoFaultSeqs: [4, 10, 98] },
      { unrecorded: 2 },
    );
    inputs.destinations[1] = dest(
      1,
      { delivered: 49, faultPending: 1, faulted: 1, faultPendingSeqs: [6] },
      { faults: { "500": 1 } },
    );
    const l = buildLedger(rec, inputs, { listCap: 20, maxAttempts: 11, phase: "in_progress" });
    assert.deepEqual(l.voidReasons, []);
    assert.deepEqual(
      {
        missing: l.totals.missing,
        inFlight: l.totals.inFlight,
        early: l.totals.deliveredPublishUnrecorded,
        unknown: l.totals.unknown,
      },
      { missing: 0, inFlight: 4, early: 2, unknown: 0 },
    );
    assert.deepEqual(l.missingIds, []);
    assert.deepEqual(
      l.inFlightIds.map((e) => e.eventId),
      ["led_4", "led_6", "led_10", "led_98"],
    );
    assert.ok(l.destinations.every((d) => d.balanced));
  });

  it("after the run, the same state is missing events; receipts without a publish outcome are void only for a run that ended", () => {
    const inputs = cleanSnapshot();
    inputs.destinations[0] = dest(
      0,
      { delivered: 47, undeliveredNoFault: 3, undeliveredNoFaultSeqs: [4, 10, 98] },
      { unrecorded: 2 },
    );
    const over = buildLedger(rec, inputs, { listCap: 20, maxAttempts: 11, phase: "ended" });
    assert.deepEqual(
      { missing: over.totals.missing, inFlight: over.totals.inFlight, unknown: over.totals.unknown },
      { missing: 3, inFlight: 0, unknown: 2 },
    );
    assert.deepEqual(over.voidReasons, ["destination 0: 2 receipt(s) for event ids this run never published"]);
    // Without a recorded end, those receipts are publishes interrupted before their outcome was written.
    const crashed = buildLedger(rec, inputs, { listCap: 20, maxAttempts: 11, phase: "no_end" });
    assert.deepEqual(crashed.voidReasons, []);
    assert.deepEqual(
      { missing: crashed.totals.missing, early: crashed.totals.deliveredPublishUnrecorded },
      { missing: 3, early: 2 },
    );
  });

  it("counts events Outpost did not route to a destination as not routed: neither delivered nor missing, with when", () => {
    const inputs = cleanSnapshot();
    // Destination 1 left out of the answers for 30 events, from t=1000 to t=4000; 2 events routed just before went missing.
    inputs.destinations[1] = dest(1, {
      delivered: 18,
      notRouted: 30,
      undeliveredNoFault: 2,
      undeliveredNoFaultSeqs: [36, 38],
    });
    inputs.routing = { "first:1": 1_700_000_001_000, "last:1": 1_700_000_004_000 };
    const l = buildLedger(rec, inputs, ended());
    assert.deepEqual(l.voidReasons, []);
    assert.ok(l.destinations[1].balanced);
    assert.deepEqual(
      { notRouted: l.totals.notRouted, missing: l.totals.missing, ratio: l.deliveredRatio },
      { notRouted: 30, missing: 2, ratio: 166 / 168 },
    );
    assert.deepEqual(l.notRouted, [
      { destination: 1, id: "led-d1", events: 30, firstMs: 1_700_000_001_000, lastMs: 1_700_000_004_000 },
    ]);
  });

  it("counts duplicates and bad signatures without voiding the run", () => {
    const inputs = cleanSnapshot();
    inputs.destinations[2] = dest(2, { delivered: 49 }, { duplicates: 3, badSignatures: 2 });
    const l = buildLedger(rec, inputs, ended());
    assert.deepEqual(l.voidReasons, []);
    assert.equal(l.totals.duplicates, 3);
    assert.equal(l.totals.signatures.bad, 2);
  });

  const voiding: Array<[string, (i: RunSnapshot) => void, RegExp]> = [
    [
      "unknown receipts",
      (i) => {
        i.destinations[0] = dest(0, { delivered: 50 }, { unrecorded: 2 });
      },
      /destination 0: 2 receipt\(s\) for event ids this run never published/,
    ],
    [
      "an unbalanced identity",
      (i) => {
        i.destinations[2] = dest(2, { delivered: 47, undeliveredNoFault: 1 });
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
      /destination 1: run state lost \(.*\): first-delivery counter 49 != received bits 50/,
    ],
    [
      "attempts that do not add up",
      (i) => {
        i.destinations[3].counters.attempts += 1;
        i.destinations[3].counters["sig:ok"] += 1;
      },
      /destination 3: run state lost \(.*\): attempts 50 != first 49/,
    ],
    [
      "signature counts that do not add up",
      (i) => {
        i.destinations[3].counters["sig:ok"] += 1;
      },
      /destination 3: run state lost \(.*\): signature counts 50 != attempts 49/,
    ],
    [
      "a publish counter that disagrees with the accepted bitmaps",
      (i) => {
        i.publish[0].accepted = 100;
      },
      /^run state lost \(.*\): publish counter accepted=100 != 99 accepted bits/,
    ],
    [
      "sequence numbers accepted twice",
      (i) => {
        i.publish[0].accepted_again = 4;
      },
      /4 sequence number\(s\) were accepted twice/,
    ],
    [
      "publish answers listing destinations the run did not create",
      (i) => {
        i.publish[0].routing_unexpected = 1;
      },
      /^1 publish answer\(s\) listed destinations this run did not create for the event's tenant$/,
    ],
    [
      "publish answers without destination ids",
      (i) => {
        i.publish[0].routing_unreadable = 2;
      },
      /^2 publish answer\(s\) had no readable destination_ids$/,
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
      const inputs = cleanSnapshot();
      breakIt(inputs);
      const l = buildLedger(rec, inputs, ended());
      assert.equal(l.voidReasons.length, 1, l.voidReasons.join(" | "));
      assert.match(l.voidReasons[0], reason);
    });
  }

  it("has no delivered ratio when nothing was accepted", () => {
    const inputs: RunSnapshot = {
      ...cleanSnapshot(),
      tenants: [
        { accepted: 0, rejected: 0 },
        { accepted: 0, rejected: 0 },
      ],
      destinations: [0, 1, 2, 3].map((d) => dest(d, { delivered: 0 })),
      publish: [{}],
    };
    assert.equal(buildLedger(rec, inputs, ended()).deliveredRatio, null);
  });
});
