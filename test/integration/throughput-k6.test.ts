import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { buildBundles } from "../support/bundle-build";
import { readVerifySettings } from "../../src/config/verify-settings";
import { FAKE_TARGET } from "../../src/outpost/target";
import { PUBLISH_LOG_LIMITS } from "../../src/publish/publish-log";
import { RunStateStore } from "../../src/runstate/store";
import { renderText } from "../../src/verify/render-text";
import type { VerifyReport } from "../../src/verify/report";
import { verifiedReport as runVerification } from "../support/verify-result";
import { type K6Result, k6Messages, k6UnderTest, runK6, startK6 } from "../support/k6";
import { type OutpostFake, startOutpostFake } from "../support/outpost-fake";
import { type MockProcess, startMock } from "../mock-webhook/fixtures";
import { connectRedis, freePort, type RedisServer, startRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// What throughput and verify report on the pinned real k6 when their
// surroundings misbehave, with a real redis-server, the Outpost fake
// delivering to the real mock webhook process.
describe("throughput on real k6 under real conditions", function () {
  this.timeout(180_000);
  let tmp: string;
  let redisServer: RedisServer;
  let redis: NodeRedisPort;
  let outpost: OutpostFake;
  let mock: MockProcess;
  let mockUrl: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-throughput-k6-"));
    const [r, o] = await Promise.all([
      startRedis(),
      startOutpostFake({ apiKey: KEY, includeMillisecondTimestamp: true, deliveryMaxConcurrency: 50 }),
      buildBundles(k6UnderTest().flavour, tmp),
    ]);
    redisServer = r;
    outpost = o;
    redis = await connectRedis(redisServer);
    mock = await startMock({ REDIS_URL: redisServer.url });
    mockUrl = mock.url;
  });
  after(async () => {
    await outpost?.stop();
    await mock?.stop();
    await redis?.close();
    await redisServer?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const settings = (env: Record<string, string>): Record<string, string> => ({
    OUTPOST_URL: outpost.url,
    OUTPOST_API_KEY: KEY,
    MOCK_URL: mockUrl,
    REDIS_URL: redisServer.url,
    RATE: "20",
    DURATION: "1s",
    ...env,
  });

  // k6's end-of-test metrics (--summary-export), e.g. metrics.http_req_failed.value.
  type Summary = { metrics: Record<string, { value?: number; count?: number; max?: number }> };

  // args: more k6 arguments, e.g. -e NAME=value (k6's own way to set __ENV).
  async function throughput(
    env: Record<string, string>,
    args: string[] = [],
  ): Promise<K6Result & { summary: Summary }> {
    const file = join(tmp, `summary-${env.TEST_ID}.json`);
    const r = await runK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings(env),
      args: [`--summary-export=${file}`, ...args],
    });
    let summary: Summary = { metrics: {} };
    try {
      summary = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      // No summary when setup aborted.
    }
    return { ...r, summary };
  }

  const publishedBy = (testId: string): number => outpost.published.filter((p) => p.id.startsWith(`${testId}_`)).length;

  // verify in Node without waiting, as of `now`.
  const verifyAt = (testId: string, env: Record<string, string> = {}, now = Date.now): Promise<VerifyReport> =>
    runVerification(
      new RunStateStore(redis, testId),
      readVerifySettings({ TEST_ID: testId, REDIS_URL: redisServer.url, VERIFY_TIMEOUT: "0s", ...env }),
      { now },
      () => Promise.resolve(),
    );

  // verify in Node at once, once Outpost has nothing left to deliver.
  const verifyNow = async (testId: string, env: Record<string, string> = {}): Promise<VerifyReport> => {
    await outpost.whenIdle();
    return verifyAt(testId, env);
  };

  // Counts the publish-recording script calls of a run while `work` runs, from Redis MONITOR
  // (the script's first key is the run's publish counters, which no other script starts with).
  async function countPublishScriptCalls(testId: string, work: () => Promise<void>): Promise<number> {
    const pub = `"${new RunStateStore(redis, testId).keys.publish(0)}"`;
    const socket = connect(redisServer.port, "127.0.0.1");
    let calls = 0;
    let partial = "";
    let monitoring: () => void = () => undefined;
    socket.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\r\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "+OK") monitoring();
        const args = line.slice(line.indexOf("]") + 2).split(" ");
        if (args[0] === '"EVALSHA"' && args[3] === pub) calls++;
      }
    });
    await new Promise<void>((resolve) => {
      monitoring = resolve;
      socket.write("MONITOR\r\n");
    });
    try {
      await work();
    } finally {
      socket.destroy();
    }
    return calls;
  }

  it("a run that completes its schedule is recorded as ended: PASS, no cut short, no 'fewer' note", async () => {
    const r = await throughput({ TEST_ID: "full1", RATE: "25", DURATION: "2s" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await new RunStateStore(redis, "full1").runEnd()).cutShort, 0);
    // The probe's 404 (credentials check on a tenant that does not exist yet) is an answer, not a failure.
    assert.equal(r.summary.metrics.http_req_failed?.value, 0);
    const report = await verifyNow("full1");
    assert.equal(report.outcome, "PASS", report.verdict.reasons.join("; "));
    assert.equal(report.latency.stages.e2e.count, report.ledger.totals.accepted);
    assert.ok(Math.abs(report.publish.attempted - 50) <= 1, `attempted ${report.publish.attempted}`);
    assert.match(renderText(report), /Publish: attempted (49|50|51) of about 50 planned; accepted/);
  });

  for (const profile of ["constant", "ramp"]) {
    it(`VUs keep their acks across iterations and write every one by the end of a normal run (${profile}); verify during the run is never misled`, async () => {
      const testId = `kept-${profile}`;
      const during: VerifyReport[] = [];
      let r: K6Result = { code: -1, stdout: "", stderr: "" };
      const calls = await countPublishScriptCalls(testId, async () => {
        // 5 VUs for 100 events/s: each runs about 20 iterations a second and keeps their acks.
        const run = startK6(join(tmp, "throughput.js"), {
          cwd: tmp,
          env: settings({
            TEST_ID: testId,
            PROFILE: profile,
            START_RATE: "20",
            RATE: "100",
            DURATION: "4s",
            PRE_ALLOCATED_VUS: "5",
            MAX_VUS: "5",
            THRESHOLD_MAX_DROPPED: "-1",
          }),
        });
        let finished = false;
        const exited = run.done.finally(() => {
          finished = true;
        });
        while (!finished) {
          if (publishedBy(testId) > 0) during.push(await verifyAt(testId));
          await sleep(200);
        }
        r = await exited;
      });
      assert.equal(r.code, 0, r.stderr);
      for (const report of during) {
        assert.deepEqual([report.ledger.voidReasons, report.ledger.totals.unknown], [[], 0], renderText(report));
        assert.match(report.verdict.headline, /^(INCOMPLETE \(run in progress\)|PASS)$/);
      }
      const n = publishedBy(testId);
      const final = await verifyNow(testId);
      assert.equal(final.outcome, "PASS", final.verdict.reasons.join("; "));
      assert.deepEqual([final.ledger.totals.accepted, final.ledger.totals.delivered], [n, n]);
      assert.equal(final.ledger.totals.deliveredPublishUnrecorded, 0);
      // Kept, then written in batches: far fewer script calls than events.
      assert.ok(calls > 0 && calls < n / 2, `${calls} script calls for ${n} events`);
    });
  }

  it("k6 killed (SIGKILL) mid-run: the acks its VUs kept show as 'delivered, publish ack not recorded', never VOID", async () => {
    const testId = "killed1";
    const run = startK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings({ TEST_ID: testId, RATE: "50", DURATION: "20s", PRE_ALLOCATED_VUS: "5", MAX_VUS: "5" }),
    });
    // Killed while its VUs keep acks they have not written: at least 10 more publishes reached
    // Outpost than acks are in Redis (the VUs write theirs about once a second, all at about the
    // same time, so a fixed count of publishes could fall right after a write).
    const store = new RunStateStore(redis, testId);
    const kept = async (): Promise<number> =>
      publishedBy(testId) - ((await store.counters(store.keys.publish(0))).accepted ?? 0);
    const deadline = Date.now() + 30_000;
    while ((publishedBy(testId) < 20 || (await kept()) < 10) && Date.now() < deadline) await sleep(20);
    run.signal("SIGKILL");
    await run.done;
    await outpost.whenIdle();
    const published = publishedBy(testId);
    const record = await store.loadRunRecord();
    assert.ok(record);
    const grace = { VERIFY_GRACE: "1s" };
    for (const [now, headline, why] of [
      [Date.now, "INCOMPLETE (run in progress)", "the run is in progress"],
      [() => record.plannedEndMs + 2000, "INCOMPLETE (cut short or crashed)", "throughput never recorded its end"],
    ] as const) {
      const report = await verifyAt(testId, grace, now);
      const t = report.ledger.totals;
      assert.equal(report.verdict.headline, headline);
      assert.deepEqual([report.ledger.voidReasons, t.unknown], [[], 0]);
      // Every event Outpost accepted was delivered: with its ack recorded, or on the row of its own.
      assert.equal(t.delivered + t.deliveredPublishUnrecorded, published);
      assert.ok(t.deliveredPublishUnrecorded > 0, "the VUs kept no ack when k6 was killed");
      assert.ok(
        renderText(report).includes(`\n  delivered, publish ack not recorded: ${t.deliveredPublishUnrecorded} (${why}`),
      );
    }
  });

  it("publishes Outpost refused fail verify by default, with their count and share", async () => {
    for (let seq = 10; seq < 15; seq++) outpost.failPublish.set(`refused1_${seq}`, 503);
    const r = await throughput({ TEST_ID: "refused1", RATE: "25", DURATION: "2s", THRESHOLD_MAX_REJECTED: "-1" });
    assert.equal(r.code, 0, r.stderr);
    const report = await verifyNow("refused1");
    const check = report.verdict.checks.find((c) => c.name === "publish");
    const n = report.publish.attempted;
    assert.equal(check?.ok, false);
    assert.equal(
      check?.detail,
      `5 of ${n} publishes (${((5 / n) * 100).toFixed(3)}%) refused, failed or timed out: HTTP 503 5; at most 0 allowed (VERIFY_MAX_PUBLISH_ERRORS)`,
    );
    assert.deepEqual(report.verdict.reasons, [check?.detail], "everything accepted was delivered");
    assert.equal((await verifyNow("refused1", { VERIFY_MAX_PUBLISH_ERRORS: "5" })).verdict.checks[2].ok, true);
  });

  it("a destination disabled mid-run: its events are 'not routed', named with when it started; the run is not void", async () => {
    const testId = "route1";
    const run = startK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings({ TEST_ID: testId, RATE: "25", DURATION: "3s", DESTINATIONS_PER_TENANT: "2" }),
    });
    const deadline = Date.now() + 30_000;
    while (publishedBy(testId) < 25 && Date.now() < deadline) await sleep(20);
    outpost.setDestinationDisabled("route1-t0", "route1-d1", true);
    const disabledAt = Date.now();
    const r = await run.done;
    // throughput's own publish_routing_mismatch threshold flags it too.
    assert.equal(r.code, 99, r.stderr);
    const report = await verifyNow(testId);
    assert.equal(report.outcome, "FAIL");
    assert.deepEqual(report.ledger.voidReasons, []);
    const gap = report.ledger.notRouted[0];
    assert.equal(report.ledger.notRouted.length, 1);
    assert.equal(gap.destination, 1);
    assert.ok(gap.events > 10 && gap.events < report.ledger.totals.accepted / 2, `${gap.events} not routed`);
    assert.ok(
      gap.firstMs !== null && Math.abs(gap.firstMs - disabledAt) < 1000,
      `first ${gap.firstMs} vs ${disabledAt}`,
    );
    const [d0, d1] = report.ledger.destinations;
    assert.equal(d0.delivered, d0.accepted);
    assert.ok(d1.delivered > 0 && d1.delivered + d1.missing + d1.notRouted === d1.accepted);
    assert.equal(d1.delivered + d1.missing, report.ledger.totals.accepted / 2 - gap.events);
    assert.match(
      report.verdict.checks.find((c) => c.name === "routing")?.detail ?? "",
      /^Outpost's publish answers left out destination 1 \(route1-d1\) for \d+ event\(s\) from .*ALERT_AUTO_DISABLE_DESTINATION/,
    );
  });

  // k6 starts an iteration within a few ms of its slot; a schedule off by one slot
  // would put every lag a whole interval (25-200 ms here) off, or below zero. k6
  // has whole-millisecond clocks only, so lags under 1 ms can come out negative.
  for (const [profile, env] of [
    ["constant", { RATE: "40", DURATION: "3s" }],
    ["ramp", { PROFILE: "ramp", START_RATE: "5", RATE: "40", DURATION: "4s", RAMP_UP: "3s" }],
  ] as const) {
    it(`t0 is the event's slot in k6's ${profile} schedule: generator lag stays within an interval`, async () => {
      const testId = `sched-${profile}`;
      const r = await throughput({ TEST_ID: testId, ...env });
      assert.equal(r.code, 0, r.stderr);
      const report = await verifyNow(testId);
      const lag = report.latency.stages.generator_lag;
      assert.equal(lag.count, report.publish.accepted);
      assert.equal(report.publish.unscheduled, 0);
      assert.ok(lag.belowZero < lag.count / 2, `${lag.belowZero} of ${lag.count} below zero`);
      assert.ok((lag.p50Ms ?? Infinity) < 12, `generator lag p50 ${lag.p50Ms} ms`);
    });
  }

  // PRESET=mixed: fan-out (1 tenant x 5 destinations, 10 events/s, a 50 ms receiver)
  // and steady (2 x 1, 20 events/s, an instant receiver), each its own k6 scenario.
  it("PRESET=mixed runs each profile as its own scenario: per-profile ledgers balanced, the 50 ms receiver reported for its profile", async () => {
    const testId = "mixed1";
    // As documented: k6 run -e PRESET=mixed dist/throughput.js (RATE="" leaves each profile its own rate).
    const r = await throughput({ TEST_ID: testId, RATE: "" }, [
      "-e",
      "PRESET=mixed",
      "-e",
      "DURATION=3s",
      "-e",
      "WARMUP=1s",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const info = k6Messages(r.stderr, "info");
    assert.ok(
      info.includes(
        `TEST_ID=mixed1 provisioned: fanout: 1 tenants x 5 destinations, constant profile, about 30 events; steady: 2 tenants x 1 destinations, constant profile, about 60 events, ${FAKE_TARGET}`,
      ),
      info.join("\n"),
    );
    assert.equal(info.filter((l) => l.startsWith("OUTPOST_DELIVERY_CONCURRENCY is unset")).length, 1);
    // Each scenario numbers its events from 0: the ids and tenants carry the profile.
    const published = outpost.published.filter((p) => p.id.startsWith(`${testId}_`));
    const of = (profile: string) => published.filter((p) => p.id.startsWith(`${testId}_${profile}_`));
    assert.ok(of("fanout").some((p) => p.id === "mixed1_fanout_0" && p.tenant_id === "mixed1-fanout-t0"));
    assert.deepEqual(new Set(of("steady").map((p) => p.tenant_id)), new Set(["mixed1-steady-t0", "mixed1-steady-t1"]));
    assert.equal(of("fanout").length + of("steady").length, published.length);

    const report = await verifyNow(testId);
    assert.equal(report.outcome, "PASS", report.verdict.reasons.join("; "));
    const [fanout, steady] = report.profiles;
    assert.deepEqual(
      [fanout.name, fanout.verdict.outcome, steady.name, steady.verdict.outcome],
      ["fanout", "PASS", "steady", "PASS"],
    );
    for (const p of report.profiles) {
      const t = p.ledger.totals;
      assert.equal(t.accepted, t.delivered + t.missing + t.inFlight + t.notRouted);
      assert.equal(t.delivered, t.accepted);
    }
    assert.equal(fanout.ledger.totals.accepted, 5 * fanout.publish.accepted);
    assert.equal(steady.ledger.totals.accepted, steady.publish.accepted);
    assert.ok(Math.abs(fanout.publish.attempted - 30) <= 1 && Math.abs(steady.publish.attempted - 60) <= 1);
    // The fan-out receiver held each answer 50 ms, the steady one none ...
    assert.deepEqual([fanout.latency.receiver.minMs, fanout.latency.receiver.maxMs], [50, 50]);
    assert.equal(steady.latency.receiver.maxMs, 0);
    // ... after the first byte: the delivery stage (ta -> t3) does not hold it,
    // Outpost's attempt (request to answer) does.
    assert.ok((fanout.latency.delivery.p99Ms ?? 99) < 50, `delivery p99 ${fanout.latency.delivery.p99Ms}`);
    const attempts = outpost.attempts.filter((a) => a.eventId.startsWith("mixed1_fanout_"));
    assert.ok(attempts.length >= 100 && attempts.every((a) => a.endedAtMs - a.startedAtMs >= 50));
    assert.equal(report.ledger.totals.delivered, fanout.ledger.totals.delivered + steady.ledger.totals.delivered);
    assert.ok((fanout.throughput.delivered?.events ?? 0) === fanout.ledger.totals.delivered);
    const text = renderText(report);
    assert.match(text, /^Latency per stage, profile fanout, ms:$/m);
    assert.match(text, /^ {2}receiver: how long the mock held its answer after the first byte/m);
  });

  it("refuses an over-budget preset before any load, in one line giving both numbers (exit 108)", async () => {
    const budget = {
      PRESET: "mixed",
      RATE: "",
      WARMUP: "0s",
      OUTPOST_DELIVERY_CONCURRENCY: "2",
      BUDGET_DELIVERY_OVERHEAD: "5ms",
    };
    const r = await throughput({ TEST_ID: "budget1", ...budget });
    assert.equal(r.code, 108, r.stderr);
    assert.deepEqual(k6Messages(r.stderr, "error"), [
      "test aborted: setup failed for TEST_ID=budget1: concurrency budget exceeded: 2.9 concurrent deliveries offered (fanout 2.8 = 10 ev/s × 5 destination(s) × (50.0 ms receiver + 5.0 ms overhead); steady 0.1 = 20 ev/s × 1 destination(s) × (0.0 ms receiver + 5.0 ms overhead)) > BUDGET_TOLERANCE 0.8 × OUTPOST_DELIVERY_CONCURRENCY 2 = 1.6; past it Outpost queues deliveries and the run measures the queue: lower a rate, the fan-out or the receiver latency, set OUTPOST_DELIVERY_CONCURRENCY to the deployment's DELIVERY_MAX_CONCURRENCY × delivery replicas, or BUDGET_CHECK=off",
    ]);
    assert.equal(publishedBy("budget1"), 0);
    assert.ok(![...outpost.tenants.keys()].some((t) => t.startsWith("budget1-")), "no tenant provisioned");
    assert.equal(await new RunStateStore(redis, "budget1").loadRunRecord(), null);

    // BUDGET_CHECK=off runs it anyway, saying so; the record keeps the budget for the report.
    const off = await throughput({ TEST_ID: "budget2", ...budget, BUDGET_CHECK: "off" });
    assert.equal(off.code, 0, off.stderr);
    assert.ok(
      k6Messages(off.stderr, "warning").some((l) =>
        l.startsWith("concurrency budget exceeded, running anyway (BUDGET_CHECK=off): 2.9 concurrent deliveries"),
      ),
      off.stderr,
    );
    const report = await verifyNow("budget2");
    assert.deepEqual([report.run.budget?.within, report.run.budget?.allowed], [false, 1.6]);
    assert.match(renderText(report), /^Concurrency budget \(setup\): concurrency budget exceeded, running anyway/m);
  });

  it("a run within its budget says how much it uses; a profile without a receiver of its own counts the mock's", async () => {
    const r = await throughput({
      TEST_ID: "budget3",
      OUTPOST_DELIVERY_CONCURRENCY: "100",
      BUDGET_DELIVERY_OVERHEAD: "5ms",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      k6Messages(r.stderr, "info").includes(
        "concurrency budget: 0.1 concurrent deliveries offered (0.1 = 20 ev/s × 1 destination(s) × (0.0 ms receiver + 5.0 ms overhead)), 0.1% of OUTPOST_DELIVERY_CONCURRENCY 100, within BUDGET_TOLERANCE 0.8 × OUTPOST_DELIVERY_CONCURRENCY 100 = 80.0",
      ),
      r.stderr,
    );
    const report = await verifyNow("budget3");
    assert.equal(report.run.budget?.profiles[0].receiverSource, "mock");
    assert.equal(report.profiles.length, 1);
  });

  it("Outpost restarted mid-run: verify alone fails the run on the refused publishes, with count and share", async () => {
    const testId = "restart1";
    const run = startK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings({ TEST_ID: testId, RATE: "50", DURATION: "4s" }),
    });
    const deadline = Date.now() + 30_000;
    while (publishedBy(testId) < 50 && Date.now() < deadline) await sleep(20);
    await outpost.restart(1000);
    const r = await run.done;
    assert.equal(r.code, 99, "throughput's own publish_rejected threshold");
    const report = await verifyNow(testId);
    assert.equal(report.outcome, "FAIL");
    const failed = report.publish.failed;
    // Refused while the fake is down; a publish in flight at the stop may instead see its
    // connection reset or dropped (seen on a loaded machine).
    const errors: Record<string, number> = report.publish.errors;
    const refused = errors.refused ?? 0;
    const atStop = Object.entries(errors).filter(([kind]) => kind !== "refused");
    assert.ok(refused >= 20, JSON.stringify(report.publish));
    assert.ok(
      atStop.every(([kind, n]) => ["reset", "network"].includes(kind) && n <= 5),
      JSON.stringify(report.publish),
    );
    assert.equal(failed, refused + atStop.reduce((a, [, n]) => a + n, 0));
    assert.match(
      report.verdict.reasons[0],
      new RegExp(
        `^${failed} of ${report.publish.attempted} publishes \\(\\d+\\.\\d{3}%\\) refused, failed or timed out: (\\w+ \\d+, )*refused ${refused}(, \\w+ \\d+)*; at most 0 allowed`,
      ),
    );
    assert.equal(report.verdict.reasons.length, 1, "what Outpost accepted was delivered");
  });

  it("Ctrl-C: teardown records the run as cut short, and verify says INCOMPLETE (cut short) naming published vs planned", async () => {
    const testId = "cut1";
    const run = startK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings({ TEST_ID: testId, RATE: "20", DURATION: "20s" }),
    });
    // Until some acks are written (the VUs keep theirs for up to a second).
    const recorded = async (): Promise<number> =>
      (await new RunStateStore(redis, testId).counters(new RunStateStore(redis, testId).keys.publish(0))).accepted ?? 0;
    const deadline = Date.now() + 30_000;
    while ((await recorded()) < 20 && Date.now() < deadline) await sleep(100);
    run.signal("SIGINT");
    const r = await run.done;
    assert.equal(r.code, 105, r.stderr);
    assert.ok(
      k6Messages(r.stderr, "info").some((l) =>
        /^TEST_ID=cut1 ended, cut short 1\d\.\d s before its planned end/.test(l),
      ),
      r.stderr,
    );
    const store = new RunStateStore(redis, testId);
    const end = await store.runEnd();
    assert.deepEqual({ teardowns: end.teardowns, cutShort: end.cutShort }, { teardowns: 1, cutShort: 1 });

    const report = await verifyNow(testId);
    const attempted = report.publish.attempted;
    assert.ok(attempted < 400, `attempted ${attempted}`);
    // The acks the VUs still kept when k6 stopped are not in the run state, but their deliveries
    // are: every event Outpost accepted is either delivered (ack recorded) or on its own row.
    const t = report.ledger.totals;
    assert.equal(t.delivered + t.deliveredPublishUnrecorded, publishedBy(testId));
    assert.deepEqual([t.unknown, report.ledger.voidReasons], [0, []]);
    if (t.deliveredPublishUnrecorded > 0)
      assert.match(
        renderText(report),
        new RegExp(`\n  delivered, publish ack not recorded: ${t.deliveredPublishUnrecorded} \\(throughput stopped`),
      );
    assert.equal(report.verdict.headline, "INCOMPLETE (cut short)");
    assert.match(
      report.verdict.reasons[0],
      new RegExp(
        `^cut short: throughput stopped at .*, 1\\d\\.\\d s before its planned end, and published ${attempted} of about 400 planned events`,
      ),
    );
    // Judged on what it published: everything accepted was delivered.
    const partial = await verifyNow(testId, { VERIFY_ALLOW_PARTIAL: "true" });
    assert.equal(partial.outcome, "PASS", partial.verdict.reasons.join("; "));
  });

  it("a run-state Redis lost mid-run stops the test at the first failed write of a VU's publish log: one line naming REDIS_URL, run void (exit 108)", async () => {
    const testId = "lost1";
    const own = await startRedis();
    const run = startK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings({ TEST_ID: testId, RATE: "50", DURATION: "20s", REDIS_URL: own.url }),
    });
    const deadline = Date.now() + 30_000;
    while (publishedBy(testId) < 30 && Date.now() < deadline) await sleep(50);
    await own.stop();
    const atLoss = publishedBy(testId);
    const r = await run.done;
    assert.equal(r.code, 108, r.stderr);
    const errors = k6Messages(r.stderr, "error");
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(
      errors[0],
      new RegExp(
        `^test aborted: run state lost: recording the publish(es)? of lost1_\\d+( and \\d+ more)? failed: REDIS_URL=redis://127\\.0\\.0\\.1:${own.port} is unreachable \\(.*\\): check REDIS_URL and that Redis runs; this run is void, stopping the test \\(no further publish starts\\)( at abort \\(.*\\))?$`,
      ),
    );
    assert.ok(!r.stderr.includes("Uncaught"), r.stderr);
    // A VU finds the loss when it next writes its log, at most PUBLISH_LOG_LIMITS.maxAgeMs after
    // the oldest outcome it keeps, and the Redis client takes its time to give up (k6 v2.2's
    // xk6-redis retries: 102 publishes followed at 50/s): a few seconds of the rate follow, not
    // the 20 s schedule.
    const after = publishedBy(testId) - atLoss;
    assert.ok(after < 50 * (PUBLISH_LOG_LIMITS.maxAgeMs / 1000 + 2), `${after} publishes after the loss`);
  });

  it("setup refuses a run-state Redis that may evict keys (exit 108) and warns about one without persistence", async () => {
    const evicting = await startRedis(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]);
    try {
      const r = await throughput({ TEST_ID: "evict1", REDIS_URL: evicting.url });
      assert.equal(r.code, 108, r.stderr);
      assert.deepEqual(k6Messages(r.stderr, "error"), [
        `test aborted: setup failed for TEST_ID=evict1: REDIS_URL=redis://127.0.0.1:${evicting.port} may evict this run's keys (maxmemory 67108864 bytes, maxmemory-policy allkeys-lru), which would void the run: use a Redis with maxmemory-policy noeviction (or maxmemory 0) for the run state`,
      ]);
      assert.equal(publishedBy("evict1"), 0);
    } finally {
      await evicting.stop();
    }
    // The shared test Redis runs without persistence: the run goes ahead with one warning.
    const ok = await throughput({ TEST_ID: "nopersist1" });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      k6Messages(ok.stderr, "warning").filter((l) => l.startsWith("REDIS_URL=")),
      [
        `REDIS_URL=${redisServer.url} has no persistence (appendonly no, no RDB save points): a Redis restart during or after the run loses its state and voids it; run the run-state Redis with appendonly yes`,
      ],
    );
  });

  describe("an unreachable dependency stops setup with one line naming its variable (exit 108)", () => {
    const cases: Array<[string, () => Promise<Record<string, string>>, RegExp]> = [
      [
        "Outpost",
        async () => ({ OUTPOST_URL: `http://127.0.0.1:${await freePort()}` }),
        /: Outpost at http:\/\/127\.0\.0\.1:\d+ is unreachable \(.*\): check OUTPOST_URL$/,
      ],
      [
        "the mock",
        async () => ({ MOCK_URL: `http://127.0.0.1:${await freePort()}` }),
        /: the mock webhook at http:\/\/127\.0\.0\.1:\d+ is not healthy \(.*\): check MOCK_URL and that the mock runs$/,
      ],
      [
        "the run-state Redis",
        async () => ({ REDIS_URL: `redis://:pw-do-not-print@127.0.0.1:${await freePort()}` }),
        /: REDIS_URL=redis:\/\/\*\*\*@127\.0\.0\.1:\d+ is unreachable \(dial tcp .*\): check REDIS_URL and that Redis runs$/,
      ],
    ];
    for (const [what, env, line] of cases) {
      it(what, async () => {
        const testId = `dep-${what.replace(/\W+/g, "-")}`;
        const r = await throughput({ TEST_ID: testId, ...(await env()) });
        assert.equal(r.code, 108, r.stderr);
        const errors = k6Messages(r.stderr, "error");
        assert.equal(errors.length, 1, errors.join("\n"));
        assert.match(errors[0], /^test aborted: setup failed for TEST_ID=dep-/);
        assert.match(errors[0], line);
        assert.ok(!r.stderr.includes("Uncaught") && !r.stderr.includes("do-not-print"), r.stderr);
        assert.equal(outpost.published.filter((p) => p.id.startsWith(`${testId}_`)).length, 0, "nothing published");
      });
    }
  });
});
