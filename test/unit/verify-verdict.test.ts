import { strict as assert } from "node:assert";
import { readVerifySettings, type VerifySettings } from "../../src/config/verify-settings";
import { emptyHistogram, type Histogram } from "../../src/runstate/histogram";
import type { Stage } from "../../src/runstate/keys";
import type { DestinationSnapshot, RunEnd, RunSnapshot } from "../../src/runstate/store";
import { type StageLatencies, stageLatencies } from "../../src/verify/latency";
import { stageDistributions } from "../../src/verify/latency-distribution";
import { latencyOverTime } from "../../src/verify/latency-over-time";
import { buildLedger, type Ledger } from "../../src/verify/ledger";
import { publishCounters } from "../../src/verify/publish-counters";
import { renderText } from "../../src/verify/render-text";
import { buildReport, type VerifyReport } from "../../src/verify/report";
import type { RunPhase } from "../../src/verify/run-status";
import { buildTimeline, MAX_DENSE_TIMELINE_SECONDS, throughputOf } from "../../src/verify/throughput";
import { type Check, decide, type JudgedRun, judge } from "../../src/verify/verdict";
import { verdictMetricNames, verdictMetricValues, verdictThresholds } from "../../src/verify/verdict-metrics";
import { FAKE_NOTICE } from "../support/outpost-fake";
import { testRunRecord } from "../support/run-record";

const rec = testRunRecord("vrd", 1, 2);

interface Figures {
  accepted?: number;
  delivered?: number;
  missing?: number;
  missingSeqs?: number[];
  // Receipts without a publish outcome.
  unrecorded?: number;
  notRouted?: number;
}

// What throughput's teardown leaves for each phase; cut short 6 s before the planned end.
function runEndFor(phase: RunPhase): RunEnd {
  if (phase === "ended") return { endedAtMs: rec.startedAtMs + 60_000, teardowns: 1, cutShort: 0 };
  if (phase === "cut_short") return { endedAtMs: rec.plannedEndMs - 6_000, teardowns: 1, cutShort: 1 };
  return { endedAtMs: null, teardowns: 0, cutShort: 0 };
}

// One tenant, so every destination shares the first one's accepted count.
function ledgerOf(perDestination: Figures[], phase: RunPhase = "ended") {
  const destinations = perDestination.map((f, d): DestinationSnapshot => {
    const received = (f.delivered ?? 10) + (f.unrecorded ?? 0);
    return {
      destination: d,
      counters: { first: received, attempts: received, "sig:ok": received },
      received,
      faulted: 0,
      delivered: f.delivered ?? 10,
      unacknowledged: 0,
      notRouted: f.notRouted ?? 0,
      undeliveredNoFault: f.missing ?? 0,
      undeliveredNoFaultSeqs: f.missingSeqs ?? [],
      faultPending: 0,
      faultPendingSeqs: [],
      faultExhausted: 0,
      faultExhaustedSeqs: [],
      exhaustedSplitDone: true,
    };
  });
  const accepted = perDestination[0].accepted ?? 10;
  const snapshot: RunSnapshot = {
    recordPttlMs: 600_000,
    oldestPublishKeyPttlMs: 600_100,
    runEnd: runEndFor(phase),
    tenants: [{ accepted, rejected: 0 }],
    destinations,
    publish: [{ accepted }],
    anomalies: {},
    routing: Object.fromEntries(
      destinations.flatMap((d) =>
        d.notRouted > 0
          ? [
              [`first:${d.destination}`, rec.startedAtMs + 3_000],
              [`last:${d.destination}`, rec.startedAtMs + 8_000],
            ]
          : [],
      ),
    ),
  };
  return buildLedger(rec, snapshot, { listCap: 20, maxAttempts: 11, phase });
}

// The run around a ledger: its end as the ledger's phase implies, 15 of about 16 planned publishes made.
function judged(ledger: Ledger, publish = publishCounters({ accepted: 15 }, 16)): JudgedRun {
  return { record: rec, runEnd: runEndFor(ledger.phase), ledger, publish, latency: latencies() };
}

// e2e samples 1..100 ms, nothing else.
function histograms(): Record<Stage, Histogram> {
  const e2e: Histogram = emptyHistogram();
  for (let ms = 1; ms <= 100; ms++) {
    const b = Math.floor(Math.log(ms * 1000) / Math.log(1.02)) + 1;
    e2e.buckets.set(b, (e2e.buckets.get(b) ?? 0) + 1);
    e2e.count++;
    e2e.minUs = Math.min(e2e.minUs, ms * 1000);
    e2e.maxUs = Math.max(e2e.maxUs, ms * 1000);
  }
  const none = emptyHistogram();
  return { generator_lag: none, publish: none, queue: none, delivery: none, e2e, receiver: none };
}

const latencies = (): StageLatencies => stageLatencies(histograms());

function report(settings: VerifySettings, ledger = ledgerOf([{}, {}]), record = rec): VerifyReport {
  const timeline = buildTimeline(
    [
      {
        series: [
          [100, 5],
          [101, 5],
        ],
        destinationsPerTenant: 2,
      },
    ],
    [
      [
        [100, 4],
        [102, 6],
      ],
      [[101, 10]],
    ],
  );
  const publish = publishCounters(
    { accepted: 10, duplicate: 1, "rejected:500": 2, "error:timeout": 1, dropped: 3 },
    16,
  );
  const throughput = throughputOf(timeline);
  return buildReport(
    settings,
    {
      record,
      runEnd: runEndFor("ended"),
      wait: { outcome: "complete", expected: 20, delivered: 20, waitedMs: 1200, polls: 2 },
      publish,
      ledger,
      latency: latencies(),
      distribution: stageDistributions(histograms()),
      overTime: latencyOverTime(rec, new Map()),
      timeline,
      throughput,
      // The run's one profile has the run's figures.
      profiles: [{ publish, ledger, latency: latencies(), throughput, receiverChanged: null }],
    },
    rec.startedAtMs + 70_000,
  );
}

// report() has 3 publishes refused or unanswered and 2 of 16 never made: a passing report allows them.
const tolerant = (env: Record<string, string> = {}): VerifySettings =>
  settings({ VERIFY_MAX_PUBLISH_ERRORS: "5", ...env });

const settings = (env: Record<string, string> = {}): VerifySettings =>
  readVerifySettings({ TEST_ID: "vrd", REDIS_URL: "redis://:s3cret@127.0.0.1:6379", ...env });

describe("verdict", () => {
  it("passes a complete, balanced run", () => {
    const v = judge(settings(), judged(ledgerOf([{}, {}])));
    assert.deepEqual({ pass: v.pass, void: v.void, reasons: v.reasons }, { pass: true, void: false, reasons: [] });
  });

  it("fails below the delivered ratio and says how much is missing", () => {
    const v = judge(settings(), judged(ledgerOf([{ delivered: 9, missing: 1, missingSeqs: [3] }, {}])));
    assert.equal(v.pass, false);
    assert.deepEqual(v.reasons, [
      "delivered 19 of 20 expected deliveries (95.000%, required >= 100.000%): 1 missing, 0 in flight",
    ]);
    assert.equal(
      judge(settings({ VERIFY_MIN_DELIVERED_RATIO: "0.95" }), judged(ledgerOf([{ delivered: 9, missing: 1 }, {}])))
        .pass,
      true,
    );
  });

  it("fails a void run whatever else holds, naming the reason", () => {
    const v = judge(settings({ VERIFY_MIN_DELIVERED_RATIO: "0" }), judged(ledgerOf([{ unrecorded: 1 }, {}])));
    assert.deepEqual({ outcome: v.outcome, void: v.void, pass: v.pass }, { outcome: "VOID", void: true, pass: false });
    assert.match(v.reasons[0], /^VOID run: destination 0: 1 receipt\(s\) for event ids this run never published$/);
  });

  it("calls a run without a recorded end in progress until its planned end + VERIFY_GRACE, then cut short or crashed", () => {
    const running = judge(settings(), judged(ledgerOf([{ delivered: 9, missing: 1 }, {}], "in_progress")));
    assert.deepEqual(
      { outcome: running.outcome, headline: running.headline },
      { outcome: "INCOMPLETE", headline: "INCOMPLETE (run in progress)" },
    );
    assert.equal(
      running.reasons[0],
      "run in progress: throughput has not recorded its end, and its planned end 2023-11-14T22:13:30.000Z + VERIFY_GRACE 30s has not passed; 1 undelivered event(s) counted as in flight",
    );
    // In progress, the undelivered event is in flight, not missing: the delivered check fails only on the ratio.
    assert.match(running.reasons[1], /1 in flight/);
    const crashed = judge(settings(), judged(ledgerOf([{}, {}], "no_end")));
    assert.deepEqual(
      { outcome: crashed.outcome, headline: crashed.headline, reasons: crashed.reasons },
      {
        outcome: "INCOMPLETE",
        headline: "INCOMPLETE (cut short or crashed)",
        reasons: [
          "cut short or crashed: throughput never recorded its end, and its planned end 2023-11-14T22:13:30.000Z + VERIFY_GRACE 30s has passed; it published 15 of about 16 planned events (VERIFY_ALLOW_PARTIAL=true judges what it published)",
        ],
      },
    );
  });

  it("calls a run whose teardown came before the planned end cut short, naming published vs planned", () => {
    const v = judge(settings(), judged(ledgerOf([{}, {}], "cut_short")));
    assert.deepEqual(
      { outcome: v.outcome, headline: v.headline, reasons: v.reasons },
      {
        outcome: "INCOMPLETE",
        headline: "INCOMPLETE (cut short)",
        reasons: [
          "cut short: throughput stopped at 2023-11-14T22:13:24.000Z, 6.0 s before its planned end, and published 15 of about 16 planned events (VERIFY_ALLOW_PARTIAL=true judges what it published)",
        ],
      },
    );
    // VERIFY_ALLOW_PARTIAL judges what was published, whether the end was recorded or not.
    for (const phase of ["cut_short", "no_end"] as const) {
      const partial = judge(settings({ VERIFY_ALLOW_PARTIAL: "true" }), judged(ledgerOf([{}, {}], phase)));
      assert.equal(partial.outcome, "PASS", partial.reasons.join("; "));
      assert.match(partial.checks[1].detail, /; judged on what it published \(VERIFY_ALLOW_PARTIAL=true\)$/);
    }
    // A run still in progress is never judged early.
    const running = judge(settings({ VERIFY_ALLOW_PARTIAL: "true" }), judged(ledgerOf([{}, {}], "in_progress")));
    assert.equal(running.headline, "INCOMPLETE (run in progress)");
  });

  it("fails on publishes Outpost refused or never answered, with their count and share (VERIFY_MAX_PUBLISH_ERRORS)", () => {
    // 2001 attempted: 300 answered 503, 7 connections refused, 1 duplicate (not a failure).
    const publish = publishCounters({ accepted: 1693, "rejected:503": 300, "error:refused": 7, duplicate: 1 }, 2000);
    const v = judge(settings(), judged(ledgerOf([{}, {}]), publish));
    assert.deepEqual(
      { outcome: v.outcome, reasons: v.reasons },
      {
        outcome: "FAIL",
        reasons: [
          "307 of 2001 publishes (15.342%) refused, failed or timed out: HTTP 503 300, refused 7; at most 0 allowed (VERIFY_MAX_PUBLISH_ERRORS)",
        ],
      },
    );
    assert.equal(
      judge(settings({ VERIFY_MAX_PUBLISH_ERRORS: "307" }), judged(ledgerOf([{}, {}]), publish)).outcome,
      "PASS",
    );
    assert.equal(
      judge(settings(), judged(ledgerOf([{}, {}]), publishCounters({ accepted: 14, duplicate: 2 }, 16))).checks[2]
        .detail,
      "none of 16 publishes was refused, failed or timed out",
    );
  });

  it("counts planned publishes k6 never made (dropped iterations) in a run that ran its schedule", () => {
    // 500 ev/s for 20 s that Outpost did not sustain: k6 made 6112 of 10000.
    const publish = publishCounters({ accepted: 6112 }, 10_000);
    const v = judge(settings(), judged(ledgerOf([{}, {}]), publish));
    assert.deepEqual(v.reasons, [
      "about 3888 of 10000 planned publishes (38.880%) never made: k6 dropped their iterations or, running late, ended the scenario before starting them (see its dropped_iterations; PRE_ALLOCATED_VUS, or more than the target sustains); at most 0 allowed (VERIFY_MAX_PUBLISH_ERRORS)",
    ]);
    // Cut short, the shortfall is the run check's to tell.
    const cut = judge(settings(), judged(ledgerOf([{}, {}], "cut_short"), publish));
    assert.equal(cut.checks[2].ok, true);
  });

  it("names destinations Outpost stopped routing to, since when, and the likely causes; judges delivery on what was routed", () => {
    const v = judge(settings(), judged(ledgerOf([{}, { delivered: 4, notRouted: 6 }])));
    assert.deepEqual(v.outcome, "FAIL");
    assert.deepEqual(v.reasons, [
      "Outpost's publish answers left out destination 1 (vrd-d1) for 6 event(s) from 2023-11-14T22:13:23.000Z to 2023-11-14T22:13:28.000Z: those events are not routed (neither delivered nor missing). Likely causes: the destination was disabled or deleted, by hand or by Outpost itself (ALERT_AUTO_DISABLE_DESTINATION after ALERT_CONSECUTIVE_FAILURE_COUNT failed deliveries); deliveries queued for it just before are dropped and show as missing",
    ]);
    assert.equal(
      v.checks.find((c) => c.name === "delivered")?.detail,
      "delivered 14 of 14 expected deliveries (100.000%, required >= 100.000%): 0 missing, 0 in flight; 6 more not routed (see routing)",
    );
  });

  it("ranks outcomes VOID > INCOMPLETE > FAIL > PASS", () => {
    const ok = (failsAs: Check["failsAs"], isOk: boolean): Check => ({ name: failsAs, ok: isOk, failsAs, detail: "" });
    assert.equal(decide([ok("FAIL", false), ok("INCOMPLETE", false), ok("VOID", false)]).outcome, "VOID");
    assert.equal(decide([ok("FAIL", false), ok("INCOMPLETE", false), ok("VOID", true)]).outcome, "INCOMPLETE");
    assert.equal(decide([ok("FAIL", false), ok("INCOMPLETE", true), ok("VOID", true)]).outcome, "FAIL");
    assert.equal(decide([ok("FAIL", true), ok("INCOMPLETE", true), ok("VOID", true)]).outcome, "PASS");
  });

  it("fails on bad signatures and when nothing was accepted", () => {
    const bad = ledgerOf([{}, {}]);
    bad.totals.signatures.bad = 2;
    assert.deepEqual(judge(settings(), judged(bad)).reasons, ["2 delivery attempt(s) carried a bad signature"]);
    assert.deepEqual(
      judge(
        settings(),
        judged(
          ledgerOf([
            { accepted: 0, delivered: 0 },
            { accepted: 0, delivered: 0 },
          ]),
        ),
      ).reasons,
      ["no publish was accepted: nothing to verify"],
    );
  });

  it("applies opt-in latency limits, and fails a limit on a stage without samples", () => {
    const v = judge(
      settings({ VERIFY_MAX_E2E_P99_MS: "120", VERIFY_MAX_E2E_P50_MS: "40", VERIFY_MAX_QUEUE_P99_MS: "10" }),
      judged(ledgerOf([{}, {}])),
    );
    assert.deepEqual(v.reasons, [
      "queue p99: no samples, limit 10 ms (VERIFY_MAX_QUEUE_P99_MS)",
      "e2e p50 50.1 ms, limit 40 ms (VERIFY_MAX_E2E_P50_MS)",
    ]);
  });
});

describe("k6 thresholds from the verdict", () => {
  it("judges pass, void, delivered ratio and signatures by default, latency only when set", () => {
    assert.deepEqual(verdictThresholds(settings()), {
      verify_pass: ["value==1"],
      verify_void: ["value==0"],
      verify_delivered_ratio: ["value>=1"],
      verify_bad_signatures: ["value==0"],
    });
    assert.deepEqual(
      verdictThresholds(settings({ VERIFY_MAX_E2E_P99_MS: "250", VERIFY_MIN_DELIVERED_RATIO: "0.999" }))
        .verify_e2e_p99_ms,
      ["value<=250"],
    );
    for (const name of Object.keys(verdictThresholds(settings({ VERIFY_MAX_DELIVERY_MAX_MS: "1" }))))
      assert.ok(verdictMetricNames().includes(name), name);
  });

  it("emits gauge values that match the report; no gauge for an empty stage", () => {
    const values = verdictMetricValues(report(tolerant()));
    assert.equal(values.verify_pass, 1);
    assert.equal(values.verify_delivered_ratio, 1);
    assert.equal(values.verify_accepted, 20);
    assert.ok(Math.abs(values.verify_e2e_p99_ms - 99) <= 99 * 0.01);
    assert.equal(values.verify_queue_p99_ms, undefined);
    for (const name of Object.keys(values)) assert.ok(verdictMetricNames().includes(name), name);
  });
});

describe("throughput and timeline", () => {
  it("fills idle seconds with zeros and rates events over the busy window", () => {
    const timeline = buildTimeline(
      [
        {
          series: [
            [100, 5],
            [101, 5],
          ],
          destinationsPerTenant: 2,
        },
      ],
      [
        [
          [100, 4],
          [103, 6],
        ],
        [[101, 10]],
      ],
    );
    assert.deepEqual(timeline, [
      { second: 100, published: 5, delivered: 4, owed: 10 },
      { second: 101, published: 5, delivered: 10, owed: 10 },
      { second: 102, published: 0, delivered: 0, owed: 0 },
      { second: 103, published: 0, delivered: 6, owed: 0 },
    ]);
    const t = throughputOf(timeline);
    assert.deepEqual(t.published, {
      events: 10,
      firstSecond: 100,
      lastSecond: 101,
      seconds: 2,
      perSecond: 5,
      peakPerSecond: 5,
    });
    assert.deepEqual(t.delivered, {
      events: 20,
      firstSecond: 100,
      lastSecond: 103,
      seconds: 4,
      perSecond: 5,
      peakPerSecond: 10,
    });
    assert.deepEqual(throughputOf([]), { published: null, delivered: null });
  });

  it("stays sparse when a skewed timestamp stretches the span past the dense limit", () => {
    const far = 100 + MAX_DENSE_TIMELINE_SECONDS;
    assert.deepEqual(
      buildTimeline(
        [{ series: [[100, 1]], destinationsPerTenant: 1 }],
        [
          [
            [far, 1],
            [101, 2],
          ],
        ],
      ),
      [
        { second: 100, published: 1, delivered: 0, owed: 1 },
        { second: 101, published: 0, delivered: 2, owed: 0 },
        { second: far, published: 0, delivered: 1, owed: 0 },
      ],
    );
  });
});

describe("report and its text rendering", () => {
  it("is JSON-safe and carries no secrets", () => {
    const r = report(settings());
    const json = JSON.stringify(r);
    assert.deepEqual(JSON.parse(json).verdict, r.verdict);
    assert.ok(!json.includes("whsec_"), "signing secret in report");
    assert.ok(!json.includes("s3cret"), "redis password in report");
    assert.ok(!renderText(r).includes("whsec_"));
    assert.deepEqual(r.publish, {
      accepted: 10,
      duplicate: 1,
      rejected: { "500": 2 },
      errors: { timeout: 1 },
      notAccepted: 4,
      failed: 3,
      unscheduled: 0,
      attempted: 14,
      planned: 16,
      schedules: 1,
      other: { dropped: 3 },
    });
  });

  it("renders a passing verdict with the ledger, latency and throughput", () => {
    const text = renderText(report(tolerant()));
    assert.match(text, /^VERDICT: PASS\noutpost-loadtest verify: run vrd\nRun made against .+\n/);
    assert.match(text, /total: accepted 20 = delivered 20 \+ missing 0 \+ in flight 0/);
    assert.match(text, /e2e\s+100\s+50\.5\s+50\.1/);
    assert.match(text, /delivered \(first deliveries\): 20 in 3 s = 6\.7\/s \(peak 10\/s\)/);
    assert.match(text, /Waited 1\.2 s, 2 poll\(s\): every expected delivery arrived/);
    assert.match(text, /Publish: attempted 14 of about 16 planned \(fewer: iterations k6 dropped/);
  });

  it("shows negative samples of every stage, and what they mean", () => {
    const r = report(tolerant());
    r.latency.stages.e2e = { ...r.latency.stages.e2e, belowZero: 3 };
    const text = renderText(r);
    assert.match(text, /stage\s+count\s+mean\s+p50\s+p90\s+p95\s+p99\s+max\s+below 0\n/);
    assert.match(text, /e2e\s+100\s+50\.5\s+50\.1\s+.*\s3\n/);
    assert.match(
      text,
      /\n {2}e2e: 3 of 100 samples came out negative and count as 0 ms: k6's clock is ahead of the mock's\n/,
    );
    assert.doesNotMatch(text, /queue: .* came out negative/);
  });

  it("says where t0 is not the event's scheduled slot", () => {
    const text = (hash: Record<string, number>): string =>
      renderText({ ...report(tolerant()), publish: publishCounters(hash, 50) });
    assert.doesNotMatch(text({ accepted: 50 }), /t0 of|fewer iterations than planned/);
    assert.match(
      text({ accepted: 51, t0_unscheduled: 1 }),
      /\n {2}t0 of 1 accepted event\(s\) is their iteration start: k6 started them past the end of the arrival schedule\n/,
    );
    assert.match(
      text({ accepted: 40 }),
      /\n {2}k6 started 10 fewer iterations than planned \(dropped\) and numbers only those it starts/,
    );
  });

  it("notes fewer publishes than planned only when there were fewer", () => {
    const text = (attempted: number, phase: RunPhase): string =>
      renderText({
        ...report(settings()),
        publish: publishCounters({ accepted: attempted }, 50),
        ledger: ledgerOf([{}, {}], phase),
      });
    assert.match(text(51, "ended"), /Publish: attempted 51 of about 50 planned; accepted 51/);
    assert.match(text(49, "ended"), /Publish: attempted 49 of about 50 planned; accepted/);
    assert.match(text(40, "ended"), /attempted 40 of about 50 planned \(fewer: iterations k6 dropped, see/);
    assert.match(
      text(40, "cut_short"),
      /attempted 40 of about 50 planned \(fewer: throughput stopped before its schedule's end\)/,
    );
  });

  it("says on its first lines and at the top of the JSON what the run was made against", () => {
    const cases = [
      [{ fake: FAKE_NOTICE }, "against the Outpost fake (test/support/outpost-fake), not Outpost"],
      [{ fake: null }, "against Outpost at http://127.0.0.1:3333"],
      [undefined, "against http://127.0.0.1:3333 (what answered there was not recorded)"],
    ] as const;
    for (const [target, against] of cases) {
      const r = report(tolerant(), undefined, { ...rec, target });
      assert.equal(renderText(r).split("\n")[2], `Run made ${against}.`);
      assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(r))).slice(0, 3), ["testId", "outcome", "against"]);
      assert.equal(r.against, against);
    }
  });

  it("renders a void run loudly, with missing ids", () => {
    const ledger = ledgerOf([{ unrecorded: 1, delivered: 9, missing: 1, missingSeqs: [4] }, {}]);
    const text = renderText(report(tolerant(), ledger));
    assert.match(text, /^VERDICT: VOID\n/);
    assert.match(text, /FAIL ledger: VOID run: destination 0: 1 receipt/);
    assert.match(text, /Missing \(never delivered, no injected fault\): 1\n {2}vrd_4@d0/);
  });
});
