import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStateStore } from "../../src/runstate/store";
import { buildBundles } from "../support/bundle-build";
import { viewInChromium } from "../support/chromium";
import { type K6Result, k6Messages, k6UnderTest, runK6 } from "../support/k6";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { reportRun } from "../support/report-run";
import { publishAndDeliver } from "../support/scripted-run";

interface VerifyRun extends K6Result {
  // Threshold expression -> crossed, per metric, as k6 judged them (--summary-export).
  crossed: Record<string, Record<string, boolean>>;
}

// dist/verify.js on the pinned real k6 (setup data, gauges judged by k6's thresholds, exit codes,
// handleSummary), against a real redis-server holding runs written through the real scripts.
describe("verify bundle on real k6", function () {
  this.timeout(120_000);
  let tmp: string;
  const live = withRedis();

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-verify-bundle-"));
    await buildBundles(k6UnderTest().flavour, tmp);
    // vb-ok: 30 events to 2 destinations, all delivered (e2e 9 ms); vb-lost: seq 5 never reaches d0.
    for (const [testId, lost] of [
      ["vb-ok", -1],
      ["vb-lost", 5],
    ] as const) {
      const rec = testRunRecord(testId, 1, 2);
      const store = new RunStateStore(live.redis, testId);
      await store.createRunRecord(rec);
      await publishAndDeliver(store, rec, 30, { skip: (seq, d) => seq === lost && d === 0 });
    }
    const html = testRunRecord("vb-html", 1, 2);
    await reportRun(new RunStateStore(live.redis, html.testId), html);
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  let runs = 0;
  async function verify(env: Record<string, string>): Promise<VerifyRun> {
    const summaryExport = join(tmp, `summary-${++runs}.json`);
    const r = await runK6(join(tmp, "verify.js"), {
      cwd: tmp,
      env: { REDIS_URL: live.server.url, VERIFY_GRACE: "0s", VERIFY_POLL_INTERVAL: "100ms", ...env },
      args: [`--summary-export=${summaryExport}`],
    });
    const crossed: VerifyRun["crossed"] = {};
    try {
      const metrics = JSON.parse(readFileSync(summaryExport, "utf8")).metrics as Record<
        string,
        { thresholds?: Record<string, boolean> }
      >;
      for (const [name, m] of Object.entries(metrics)) if (m.thresholds) crossed[name] = m.thresholds;
    } catch {
      // No summary when setup aborted.
    }
    return { ...r, crossed };
  }

  it("passes every default threshold for a complete run (exit 0) and writes SUMMARY_JSON", async () => {
    const r = await verify({ TEST_ID: "vb-ok", SUMMARY_JSON: "verify.json" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.crossed, {
      verify_pass: { "value==1": false },
      verify_void: { "value==0": false },
      verify_delivered_ratio: { "value>=1": false },
      verify_bad_signatures: { "value==0": false },
    });
    assert.match(r.stdout, /VERDICT: PASS/);
    const text = readFileSync(join(tmp, "verify.json"), "utf8");
    assert.equal(JSON.parse(text).ledger.totals.delivered, 60);
    assert.ok(!text.includes("whsec_"));
  });

  it("leaves a SUMMARY_JSON in a missing directory unwritten, which k6 logs as an error (README: the directory must exist)", async () => {
    const r = await verify({ TEST_ID: "vb-ok", SUMMARY_JSON: "no-such-dir/verify.json" });
    assert.match(
      r.stderr,
      /level=error msg="failed to handle the end-of-test summary".*could not open 'no-such-dir\/verify.json'/,
    );
    assert.match(r.stdout, /VERDICT: PASS/);
  });

  it("crosses the pass and delivered-ratio thresholds when a delivery is lost: exit 99", async () => {
    const r = await verify({ TEST_ID: "vb-lost" });
    assert.equal(r.code, 99);
    assert.deepEqual(r.crossed, {
      verify_pass: { "value==1": true },
      verify_void: { "value==0": false },
      verify_delivered_ratio: { "value>=1": true },
      verify_bad_signatures: { "value==0": false },
    });
    assert.match(r.stdout, /VERDICT: FAIL\n/);
    assert.match(r.stdout, /vb-lost_5@d0/);
  });

  it("adds a latency threshold only when its variable is set", async () => {
    const r = await verify({ TEST_ID: "vb-ok", VERIFY_MAX_E2E_P99_MS: "5", VERIFY_MAX_PUBLISH_MAX_MS: "50" });
    assert.equal(r.code, 99);
    assert.deepEqual(r.crossed.verify_e2e_p99_ms, { "value<=5": true });
    assert.deepEqual(r.crossed.verify_publish_max_ms, { "value<=50": false });
    assert.deepEqual(r.crossed.verify_pass, { "value==1": true });
    assert.match(r.stdout, /FAIL e2e p99: e2e p99 9\.0 ms, limit 5 ms \(VERIFY_MAX_E2E_P99_MS\)/);
  });

  it("writes SUMMARY_HTML from handleSummary: a page Chromium draws every chart of, offline and without errors", async () => {
    const r = await verify({ TEST_ID: "vb-html", SUMMARY_HTML: "verify.html" });
    assert.equal(r.code, 99, r.stderr);
    const view = await viewInChromium(join(tmp, "verify.html"));
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.requests, []);
    assert.deepEqual(
      view.charts.map((c) => [c.id, c.seriesPixels > 200]),
      [
        ["chart-timeline", true],
        ["chart-percentiles", true],
        ["chart-distribution", true],
        ["chart-over-time", true],
      ],
    );
    assert.match(view.text, /VERDICT: FAIL/);
  });

  it("aborts with one line (exit 108) when TEST_ID is missing or names no run", async () => {
    const missing = await verify({});
    assert.equal(missing.code, 108);
    const [line, ...rest] = k6Messages(missing.stderr, "error");
    assert.deepEqual(rest, []);
    assert.match(line, /^test aborted: TEST_ID is required for verify: expected .+$/);
    const unknown = await verify({ TEST_ID: "vb-nope" });
    assert.equal(unknown.code, 108);
    assert.match(
      k6Messages(unknown.stderr, "error").join("\n"),
      /^test aborted: no run record for TEST_ID=vb-nope in this Redis.+$/,
    );
  });
});
