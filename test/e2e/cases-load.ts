import { strict as assert } from "node:assert";
import type { VerifyReport } from "../../src/verify/report";
import { getJson } from "../mock-webhook/fixtures";
import { assertSound, expectedDeliveries } from "./checks";
import type { CaseContext } from "./context";
import type { ThroughputRun } from "./stack";
import { expectedAgainst } from "./target";

// k6's constant-arrival-rate starts RATE x DURATION iterations give or take a few: its loop
// (grafana/k6 v1.1.0 lib/executor/constant_arrival_rate.go) waits in a Go select on the next
// tick and on the end of the scenario, and when it lags at the end the overdue ticks race the
// end, which select picks at random. A won race is one iteration more, a lost one ends the
// scenario with slots neither started nor counted as dropped. Every one it started must be
// accounted for.
function assertScheduled(events: number, planned: number, t: ThroughputRun): void {
  assert.equal(events, t.metrics.iterations?.count, "accepted publishes = k6's iterations");
  assert.ok(Math.abs(events - planned) <= 10, `published ${events}, planned ${planned}`);
}

// The report without what depends on when verify ran: the time it was generated and how
// long (and in how many polls) it waited.
function withoutTimes(json: string): unknown {
  const r = JSON.parse(json) as VerifyReport;
  const { generatedAt: _g, wait, ...rest } = r;
  const { waitedMs: _w, polls: _p, ...waitRest } = wait;
  return { ...rest, wait: waitRest };
}

export function loadCases(ctx: CaseContext): void {
  const { target, title } = ctx;
  let steadyId: string | undefined;

  it(
    title(
      "steady: 200 ev/s for 3 s to 2x2 destinations: 100% delivered, every stage measured, stage means add up to the end-to-end mean",
    ),
    async () => {
      const s = ctx.stack();
      const id = s.testId("steady");
      const t = await s.throughput({ TEST_ID: id, RATE: "200", DURATION: "3s" });
      assert.equal(t.code, 0, t.stderr);
      assert.ok(
        t.info.some((l) => l.startsWith(`TEST_ID=${id} provisioned:`) && l.endsWith(expectedAgainst(target))),
        t.info.join("\n"),
      );
      steadyId = id;
      const v = await s.verify(id);
      assert.equal(v.code, 0, v.stdout);
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      assertScheduled(r.publish.accepted, 600, t);
      assert.equal(r.publish.attempted, r.publish.accepted, "every publish accepted");
      assert.equal(tot.accepted, expectedDeliveries(r));
      assert.equal(tot.delivered, tot.accepted, "100% delivered");
      assert.equal(r.ledger.deliveredRatio, 1);
      assert.equal(tot.duplicates, 0);
      const { generator_lag: lag, publish, queue, delivery, e2e } = r.latency.stages;
      for (const [name, stage] of Object.entries({ lag, publish }))
        assert.equal(stage.count, r.publish.accepted, `${name} stage: one sample per event`);
      for (const [name, stage] of Object.entries({ queue, delivery, e2e }))
        assert.equal(stage.count, tot.delivered, `${name} stage: one sample per first delivery`);
      // generator lag = iteration start - t0 (the event's slot in the schedule), publish = t2 -
      // iteration start, queue = ta - t2, delivery = t3 - ta, e2e = t3 - t0: with every event
      // delivered to both destinations of its tenant, the stage means add up to the e2e mean up
      // to each mean's stated precision (relative bucket error plus 1 ms timestamp resolution).
      // A queue sample below zero (Outpost started the attempt, ta, before k6 saw the ack, t2:
      // Outpost enqueues the deliveries before it answers) is recorded as 0, which adds its
      // magnitude t2 - ta to the sum; the attempt starts after the request, so that is at most
      // the publish stage. One host, one clock: no other stage may come out negative.
      for (const [name, stage] of Object.entries({ lag, publish, delivery, e2e }))
        assert.equal(stage.belowZero, 0, `${name} samples below zero`);
      const [g, p, q, d, e] = [lag, publish, queue, delivery, e2e].map((x) => x.meanMs ?? Number.NaN);
      const { relative, timestampResolutionMs } = r.latency.precision;
      const tolerance = relative * (g + p + q + d + e) + 5 * timestampResolutionMs;
      const clampBound = (queue.belowZero / queue.count) * (publish.maxMs ?? 0);
      const sum = g + p + q + d;
      const figures = `generator lag ${g.toFixed(2)} + publish ${p.toFixed(2)} + queue ${q.toFixed(2)} + delivery ${d.toFixed(2)} = ${sum.toFixed(2)} ms, e2e ${e.toFixed(2)} ms, tolerance ${tolerance.toFixed(2)} ms + ${clampBound.toFixed(2)} ms for ${queue.belowZero} queue samples below zero`;
      ctx.note(
        `${r.publish.accepted} events, delivered ${tot.delivered}/${tot.accepted}; means ${figures}; e2e p99 ${e2e.p99Ms?.toFixed(1)} ms`,
      );
      assert.ok(sum >= e - tolerance && sum <= e + tolerance + clampBound, figures);
    },
  );

  it(
    title(
      "mixed: two traffic profiles in one run (PRESET=mixed, 3 s), each its own k6 scenario: each profile balanced and passing, the fan-out receiver's 50 ms in its receiver stage, not in delivery",
    ),
    async () => {
      const s = ctx.stack();
      const id = s.testId("mixed");
      // The suite's 2x2 shape and payload would override every profile's own.
      const t = await s.throughput(
        { TEST_ID: id, TENANTS: "", DESTINATIONS_PER_TENANT: "", PAYLOAD_BYTES: "" },
        { args: ["-e", "PRESET=mixed", "-e", "DURATION=3s", "-e", "WARMUP=1s"] },
      );
      assert.equal(t.code, 0, t.stderr);
      const v = await s.verify(id);
      assert.equal(v.code, 0, v.stdout);
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      assert.equal(tot.accepted, expectedDeliveries(r));
      assertScheduled(r.publish.accepted, 90, t);
      const [fanout, steady] = r.profiles;
      assert.deepEqual(
        r.profiles.map((p) => [p.name, p.verdict.outcome, p.ledger.totals.delivered === p.ledger.totals.accepted]),
        [
          ["fanout", "PASS", true],
          ["steady", "PASS", true],
        ],
      );
      assert.equal(fanout.ledger.totals.accepted, 5 * fanout.publish.accepted);
      assert.deepEqual([fanout.latency.receiver.minMs, steady.latency.receiver.maxMs], [50, 0]);
      assert.ok((fanout.latency.delivery.p50Ms ?? 99) < 50, `fan-out delivery p50 ${fanout.latency.delivery.p50Ms}`);
      assert.match(v.stdout, /^ {2}ok {3}profiles: each of the 2 profiles passes on its own figures$/m);
      ctx.note(
        r.profiles
          .map(
            (p) =>
              `${p.name}: ${p.publish.accepted} events, delivered ${p.ledger.totals.delivered}/${p.ledger.totals.accepted}, delivery p50 ${p.latency.delivery.p50Ms?.toFixed(1)} ms, receiver p50 ${p.latency.receiver.p50Ms?.toFixed(1)} ms, e2e p99 ${p.latency.e2e.p99Ms?.toFixed(1)} ms`,
          )
          .join("; "),
      );
    },
  );

  it(
    title("verify run twice gives the same JSON apart from its timestamps (generatedAt, wait time, polls)"),
    async () => {
      if (steadyId === undefined) throw new Error("needs the steady run");
      const s = ctx.stack();
      const first = await s.verify(steadyId);
      const second = await s.verify(steadyId);
      assert.equal(first.code, second.code);
      assert.deepEqual(withoutTimes(second.json), withoutTimes(first.json));
      assert.equal(first.report.wait.outcome, "complete");
      ctx.note(
        `${first.json.length} bytes of JSON each, equal apart from generatedAt (${first.report.generatedAt}, ${second.report.generatedAt}) and wait (${first.report.wait.waitedMs} ms/${first.report.wait.polls} polls, ${second.report.wait.waitedMs} ms/${second.report.wait.polls} polls)`,
      );
    },
  );

  it(
    title(
      "two runs at once with different TEST_IDs (2x2 and 1x3 destinations, one mock, one Redis): each ledger its own, no cross-talk",
    ),
    async () => {
      const s = ctx.stack();
      const ids = [s.testId("twin-a"), s.testId("twin-b")];
      const shapes = [
        { TENANTS: "2", DESTINATIONS_PER_TENANT: "2" },
        { TENANTS: "1", DESTINATIONS_PER_TENANT: "3" },
      ];
      const runs = await Promise.all(
        ids.map((id, i) => s.throughput({ TEST_ID: id, RATE: "50", DURATION: "2s", ...shapes[i] })),
      );
      for (const t of runs) assert.equal(t.code, 0, t.stderr);
      const verified = await Promise.all(ids.map((id) => s.verify(id)));
      for (const [i, v] of verified.entries()) {
        const r = v.report;
        const tot = assertSound(r, target, v.stdout);
        assert.equal(v.code, 0, v.stdout);
        assert.equal(r.testId, ids[i]);
        assert.equal(r.publish.accepted, runs[i].metrics.publish_accepted?.count, "k6's count of accepted publishes");
        assertScheduled(r.publish.accepted, 100, runs[i]);
        assert.equal(tot.accepted, expectedDeliveries(r));
        assert.equal(tot.delivered, tot.accepted);
        assert.equal(tot.duplicates, 0);
        // A delivery of one run's event to the other run's destination would be an anomaly the
        // mock counts against the run named in the path (wrong tenant, bad event id, ...).
        const seen = await getJson(s.mock, `/runs/${ids[i]}`);
        assert.deepEqual(seen.json.anomalies, {}, `anomalies of ${ids[i]}`);
        assert.equal((seen.json.deliveries as Record<string, number>).first, tot.delivered);
        ctx.note(
          `${ids[i]} (${r.run.profiles[0].tenants}x${r.run.profiles[0].destinationsPerTenant}): ${r.publish.accepted} events, delivered ${tot.delivered}/${tot.accepted}, unknown ${tot.unknown}, anomalies none`,
        );
      }
    },
  );

  it(
    title(
      "duplicates: a second k6 instance publishes the run's first event id again: Outpost answers duplicate, verify reports it and counts the event once",
    ),
    async () => {
      const s = ctx.stack();
      const id = s.testId("dup");
      // The first instance leaves the run open (no teardown), as a k6-operator runner still
      // publishing would; the second joins it with the same TEST_ID and publishes seq 0 (and
      // perhaps 1) again, which Outpost has already accepted.
      const first = await s.throughput({ TEST_ID: id, RATE: "20", DURATION: "1s" }, { args: ["--no-teardown"] });
      assert.equal(first.code, 0, first.stderr);
      const second = await s.throughput({ TEST_ID: id, RATE: "1", DURATION: "1s" });
      assert.ok(
        second.info.some((l) => l.startsWith(`TEST_ID=${id} joined (already provisioned)`)),
        second.info.join("\n"),
      );
      const again = second.metrics.publish_duplicate?.count ?? 0;
      assert.ok(again === 1 || again === 2, `duplicates ${again}`);
      assert.equal(second.metrics.publish_accepted?.count ?? 0, 0, "nothing accepted twice");
      // THRESHOLD_MAX_DUPLICATES (0) makes throughput fail on Outpost's duplicate answers.
      assert.equal(second.code, 99, second.stderr);
      assert.deepEqual(second.metrics.publish_duplicate?.thresholds, { "count<=0": true });
      const v = await s.verify(id);
      const r = v.report;
      const tot = assertSound(r, target, v.stdout);
      assert.equal(r.publish.duplicate, again, "reported as Outpost's duplicate");
      assert.equal(r.publish.accepted, first.metrics.publish_accepted?.count);
      assert.equal(tot.accepted, expectedDeliveries(r), "the event counted once");
      assert.equal(tot.delivered, tot.accepted);
      assert.equal(tot.duplicates, 0, "Outpost delivered the re-published id no second time");
      assert.match(v.stdout, new RegExp(`duplicate ${again},`));
      assert.equal(v.code, 0, v.stdout);
      ctx.note(
        `first instance: ${r.publish.accepted} accepted; second: ${again} answered duplicate (k6 exit 99, publish_duplicate threshold); verify: accepted ${r.publish.accepted}, duplicate ${r.publish.duplicate}, delivered ${tot.delivered}/${tot.accepted}, receipt duplicates ${tot.duplicates}`,
      );
    },
  );
}
