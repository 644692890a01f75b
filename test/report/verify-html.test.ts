import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStateStore } from "../../src/runstate/store";
import { viewInChromium } from "../support/chromium";
import { runNodeTool } from "../support/node-tool";
import { withRedis } from "../support/redis-server";
import { inProgressRunRecord, testProfiles, testRunRecord } from "../support/run-record";
import { reportRun } from "../support/report-run";
import { publishAndDeliver } from "../support/scripted-run";

// SUMMARY_HTML from tools/verify.ts (Node), opened in headless Chromium: every
// chart drawn, no console error, no request leaving the file.
describe("verify HTML report (Node) in Chromium", function () {
  this.timeout(60_000);
  const live = withRedis();
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "olt-html-"));
    // Three 10 s steps, so the page has the per-step table and chart too.
    const steps = [10, 20, 30].map((rate, i) => ({ rate, startMs: i * 10_000, endMs: (i + 1) * 10_000 }));
    const rec = testRunRecord("html-run", 1, 2, { latencyWindows: { windowMs: 10_000, steps } });
    await reportRun(new RunStateStore(live.redis, rec.testId), rec);
    const empty = testRunRecord("html-empty", 1, 1);
    await new RunStateStore(live.redis, empty.testId).createRunRecord(empty);
    // A run whose record is gone while its keys remain: VOID.
    const lost = testRunRecord("html-lost", 1, 1);
    const lostStore = new RunStateStore(live.redis, lost.testId);
    await reportRun(lostStore, lost);
    await live.redis.command(["DEL", lostStore.keys.record]);
    // Two traffic profiles: fan-out behind a receiver holding 50 ms, steady traffic without.
    const profiles = testProfiles([
      { name: "fanout", tenants: 1, destinationsPerTenant: 5, plannedEvents: 40 },
      { name: "steady", tenants: 2, destinationsPerTenant: 1, plannedEvents: 60 },
    ]);
    const mixed = testRunRecord("html-mixed", 0, 0, { profiles, plannedEvents: 100 });
    const mixedStore = new RunStateStore(live.redis, mixed.testId);
    await mixedStore.createRunRecord(mixed);
    await publishAndDeliver(mixedStore, mixed, 40, { profile: profiles[0], receiverHoldMs: 50, open: true });
    await publishAndDeliver(mixedStore, mixed, 60, { profile: profiles[1] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const verifyEnv = (testId: string) => ({
    TEST_ID: testId,
    REDIS_URL: live.server.url,
    VERIFY_GRACE: "0s",
    VERIFY_POLL_INTERVAL: "100ms",
  });
  const verify = (testId: string, html: string) => runNodeTool("verify", { ...verifyEnv(testId), SUMMARY_HTML: html });

  it("draws the timeline, percentile curves, distribution, latency over time and per step, offline and without errors", async () => {
    const html = join(dir, "report.html");
    assert.equal(verify("html-run", html).status, 99, "one delivery is missing: the verdict fails");
    const text = readFileSync(html, "utf8");
    assert.ok(!text.includes("whsec_"), "no signing secret in the page");
    assert.ok(!/(src|href)=["']?(https?:)?\/\//.test(text), "no external resource referenced");
    const view = await viewInChromium(html, join(dir, "report.png"));
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.requests, []);
    assert.deepEqual(
      view.charts.map((c) => c.id),
      ["chart-timeline", "chart-percentiles", "chart-distribution", "chart-over-time", "chart-steps"],
    );
    for (const c of view.charts) {
      assert.ok(c.plot !== null && c.plot.width > 300 && c.plot.height > 100, `${c.id}: plotting area`);
      assert.ok(c.seriesPixels > 200, `${c.id}: only ${c.seriesPixels} coloured pixels in the plotting area`);
    }
    assert.match(view.text, /VERDICT: FAIL/);
    assert.match(view.text, /Run made against .*\(what answered there was not recorded\)\./);
    assert.match(view.text, /html-run_7@d1/);
    assert.match(view.text, /error:500\s+1/);
  });

  it("says 'no samples' instead of drawing empty charts for a run without events", async () => {
    const html = join(dir, "empty.html");
    assert.equal(verify("html-empty", html).status, 99);
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.charts, []);
    assert.match(view.text, /Latency by percentile, per stage: no samples/);
    // No end recorded long after the planned end: the outcome, styled as such.
    assert.match(readFileSync(html, "utf8"), /<div class="verdict incomplete">VERDICT: INCOMPLETE \(/);
  });

  it("shows deliveries whose publish ack a VU still keeps on a ledger line of their own, with why", async () => {
    // A run in progress: events 0-3 delivered with their acks recorded, 4-6 delivered before it.
    const rec = inProgressRunRecord("html-kept", 1, 1);
    const now = rec.startedAtMs;
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    for (let seq = 0; seq < 7; seq++) {
      if (seq < 4) await store.recordPublishAccepted(rec, rec.profiles[0], { seq, t0Ms: now, t2Ms: now + 2 });
      await store.recordReceipt(rec, { destination: 0, seq, t0Ms: now, t3Ms: now + 5, signature: "ok" });
    }
    const html = join(dir, "kept.html");
    assert.equal(
      runNodeTool("verify", { ...verifyEnv(rec.testId), VERIFY_TIMEOUT: "0s", SUMMARY_HTML: html }).status,
      99,
    );
    const page = readFileSync(html, "utf8");
    assert.match(page, /VERDICT: INCOMPLETE \(run in progress\)/);
    assert.match(
      page,
      /<p>Delivered, publish ack not recorded: 3 \(the run is in progress: each k6 VU keeps its publish acks/,
    );
  });

  it("shows a lost run's VOID verdict and the keys that remain", async () => {
    const html = join(dir, "lost.html");
    assert.equal(verify("html-lost", html).status, 99);
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.match(readFileSync(html, "utf8"), /<div class="verdict void">VERDICT: VOID \(run state lost\)/);
    assert.match(view.text, /Keys of the run still in Redis: /);
  });

  it("make report renders a report saved by an older verify, without generator_lag, and says so", async () => {
    const json = join(dir, "older.json");
    assert.equal(runNodeTool("verify", { ...verifyEnv("html-run"), SUMMARY_JSON: json }).status, 99);
    const older = JSON.parse(readFileSync(json, "utf8"));
    delete older.latency.stages.generator_lag;
    delete older.latency.distribution.generator_lag;
    for (const w of older.latency.overTime.windows) delete w.stages.generator_lag;
    writeFileSync(json, JSON.stringify(older));
    const html = join(dir, "older.html");
    const r = runNodeTool("report", { SUMMARY_JSON: json, SUMMARY_HTML: html });
    assert.equal(r.status, 0, r.stderr);
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.match(view.text, /Not in this report \(written by an older verify\): generator_lag\./);
  });

  it("shows each traffic profile's verdict, figures and latency per stage, the receiver's hold with it", async () => {
    const html = join(dir, "mixed.html");
    assert.equal(verify("html-mixed", html).status, 0);
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.requests, []);
    assert.match(view.text, /Traffic profiles/);
    assert.match(view.text, /fanout\s+PASS\s+1 x 5\s+the mock's\s+200\s+200/);
    assert.match(view.text, /steady\s+PASS\s+2 x 1\s+the mock's\s+60\s+60/);
    assert.match(view.text, /profile fanout: latency per stage \(ms\)/);
    assert.match(view.text, /receiver\s+200\s+50\.0\s+50\.0/);
    assert.match(view.text, /Concurrency budget \(setup\): not checked \(OUTPOST_DELIVERY_CONCURRENCY was unset\)\./);
  });

  it("make report renders a report saved before traffic profiles: its run is one unnamed profile", async () => {
    const json = join(dir, "before-profiles.json");
    assert.equal(runNodeTool("verify", { ...verifyEnv("html-run"), SUMMARY_JSON: json }).status, 99);
    const older = JSON.parse(readFileSync(json, "utf8"));
    const [p] = older.run.profiles;
    older.run = { ...older.run, shape: { tenants: p.tenants, destinationsPerTenant: p.destinationsPerTenant } };
    older.run.topic = p.topic;
    older.run.retry = p.retry;
    delete older.run.profiles;
    delete older.run.budget;
    delete older.profiles;
    for (const t of older.timeline) delete t.owed;
    writeFileSync(json, JSON.stringify(older));
    const html = join(dir, "before-profiles.html");
    const r = runNodeTool("report", { SUMMARY_JSON: json, SUMMARY_HTML: html });
    assert.equal(r.status, 0, r.stderr);
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.ok(view.charts.some((c) => c.id === "chart-timeline"));
    assert.match(view.text, /1 tenant\(s\) x 2 destination\(s\)/);
    assert.doesNotMatch(view.text, /Traffic profiles/);
  });
});
