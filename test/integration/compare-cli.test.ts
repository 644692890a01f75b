import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readVerifySettings } from "../../src/config/verify-settings";
import { RunStateStore } from "../../src/runstate/store";
import { runVerification } from "../../src/verify/run-verification";
import { viewInChromium } from "../support/chromium";
import { ROOT, runNodeTool } from "../support/node-tool";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";

const compare = (env: Record<string, string>) => runNodeTool("compare", env);

// Two real verify reports of scripted runs: the candidate's queue stage is three
// times slower and it lost one delivery.
describe("make compare (tools/compare.ts): exit codes", function () {
  this.timeout(60_000);
  const live = withRedis();
  let dir: string;
  let base: string;
  let candidate: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "olt-compare-"));
    const write = async (testId: string, queueMs: number, lose: number): Promise<string> => {
      const rec = testRunRecord(testId, 1, 2);
      const store = new RunStateStore(live.redis, testId);
      await store.createRunRecord(rec);
      await publishAndDeliver(store, rec, 200, {
        spacingMs: 100,
        skip: (seq, d) => seq === lose && d === 0,
        timing: (seq) => ({ publishMs: 3 + (seq % 5), queueMs: queueMs + (seq % 10), deliveryMs: 2 }),
      });
      const settings = readVerifySettings({ TEST_ID: testId, REDIS_URL: live.server.url, VERIFY_TIMEOUT: "0s" });
      const report = await runVerification(store, settings, { now: () => Date.now() }, async () => {});
      const file = join(dir, `${testId}.json`);
      writeFileSync(file, JSON.stringify(report));
      return file;
    };
    base = await write("cmp-base", 10, -1);
    candidate = await write("cmp-cand", 30, 7);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 without limits and prints both runs figure by figure", () => {
    const r = compare({ BASE: base, CANDIDATE: candidate });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /compare: base cmp-base \(PASS; 1x2 destinations\)\n {4}candidate cmp-cand \(FAIL; 1x2 destinations\)/,
    );
    assert.match(r.stdout, / {2}queue p50\s+14\.\d\s+3\d\.\d\s+\+\d\d\.\d\s+\+1\d\d\.\d%/);
    assert.match(r.stdout, / {2}missing\s+0\s+1\s+\+1\s+n\/a/);
    assert.match(r.stdout, /RESULT: no limit set/);
  });

  it("exits 99 when a p99 regression crosses MAX_P99_REGRESSION, naming stage, values and the variable", () => {
    const r = compare({ BASE: base, CANDIDATE: candidate, MAX_P99_REGRESSION: "10%" });
    assert.equal(r.status, 99, r.stderr);
    assert.match(r.stdout, /RESULT: REGRESSION \(2 of 4 limits crossed\)/);
    assert.match(
      r.stdout,
      / {2}FAIL queue p99 19\.\d ms -> 3\d\.\d ms \(\+1\d\d\.\d%\), limit \+10% \(MAX_P99_REGRESSION\)/,
    );
    assert.match(r.stdout, / {2}ok {3}delivery p99 /);
  });

  it("exits 0 when every change is within the limits, relative or in milliseconds", () => {
    assert.equal(compare({ BASE: base, CANDIDATE: candidate, MAX_P99_REGRESSION: "300%" }).status, 0);
    const r = compare({ BASE: base, CANDIDATE: candidate, MAX_P50_REGRESSION: "25ms", COMPARE_STAGES: "queue,e2e" });
    assert.equal(r.status, 0, r.stdout);
    assert.match(
      r.stdout,
      /RESULT: within limits\n {2}ok {3}queue p50 .*limit \+25ms \(MAX_P50_REGRESSION\)\n {2}ok {3}e2e p50 /,
    );
    assert.equal(
      compare({ BASE: base, CANDIDATE: base, MAX_P99_REGRESSION: "0%", MAX_THROUGHPUT_DROP: "0%" }).status,
      0,
    );
  });

  it("exits 99 on more missing deliveries than MAX_MISSING_INCREASE allows", () => {
    const r = compare({ BASE: base, CANDIDATE: candidate, MAX_MISSING_INCREASE: "0" });
    assert.equal(r.status, 99);
    assert.match(r.stdout, /FAIL missing 0 -> 1 \(\+1\), limit \+0 \(MAX_MISSING_INCREASE\)/);
  });

  it("compares an older report without generator_lag on the stages both have, naming the one skipped", () => {
    const older = JSON.parse(readFileSync(base, "utf8"));
    delete older.latency.stages.generator_lag;
    delete older.latency.distribution.generator_lag;
    for (const w of older.latency.overTime.windows) delete w.stages.generator_lag;
    const file = join(dir, "cmp-older.json");
    writeFileSync(file, JSON.stringify(older));
    const r = compare({ BASE: file, CANDIDATE: candidate, MAX_P99_REGRESSION: "10%" });
    assert.equal(r.status, 99, r.stderr);
    assert.match(r.stdout, / {2}generator_lag: not compared \(not in the base report: written by an older verify\)/);
    assert.doesNotMatch(r.stdout, /generator_lag p99/);
    assert.match(r.stdout, /FAIL queue p99 /);
  });

  for (const [what, env, line] of [
    [
      "a limit that is not a percentage or ms",
      { MAX_P99_REGRESSION: "ten" },
      /^compare: MAX_P99_REGRESSION="ten" is invalid: expected a percentage like 10% or milliseconds like 25ms\n$/,
    ],
    [
      "a throughput limit in ms",
      { MAX_THROUGHPUT_DROP: "5ms" },
      /^compare: MAX_THROUGHPUT_DROP="5ms" is invalid: expected a percentage like 5%\n$/,
    ],
    [
      "an unknown stage",
      { COMPARE_STAGES: "e2e,total" },
      /^compare: COMPARE_STAGES="e2e,total" is invalid: expected a comma-separated list of generator_lag, publish, queue, delivery, e2e\n$/,
    ],
    [
      "a negative missing limit",
      { MAX_MISSING_INCREASE: "-1" },
      /^compare: MAX_MISSING_INCREASE="-1" is invalid: expected a whole number/,
    ],
    [
      "no CANDIDATE",
      { CANDIDATE: "" },
      /^compare: CANDIDATE is required: expected the path of the candidate run's verify JSON \(SUMMARY_JSON\)\n$/,
    ],
    [
      "a missing file",
      { BASE: "/nonexistent/a.json" },
      /^compare: BASE=\/nonexistent\/a\.json cannot be read: ENOENT\n$/,
    ],
  ] as const) {
    it(`exits 2 with one line for ${what}`, () => {
      const r = compare({ BASE: base, CANDIDATE: candidate, ...env });
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, line);
      assert.equal(r.stdout, "", "nothing compared");
    });
  }

  it("exits 2 when a file is not a verify report", () => {
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ metrics: {} }));
    const r = compare({ BASE: other, CANDIDATE: candidate });
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /^compare: BASE=.*other\.json is not a verify report \(the SUMMARY_JSON verify writes\): no testId\n$/,
    );
  });

  it("writes COMPARE_HTML: both runs overlaid, every chart drawn in Chromium without errors", async () => {
    const html = join(dir, "compare.html");
    assert.equal(
      compare({ BASE: base, CANDIDATE: candidate, MAX_P99_REGRESSION: "10%", COMPARE_HTML: html }).status,
      99,
    );
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.requests, []);
    assert.deepEqual(
      view.charts.map((c) => [c.id, c.seriesPixels > 200]),
      [
        ["chart-compare-delivered", true],
        ["chart-compare-percentiles", true],
        ["chart-compare-e2e-over-time", true],
      ],
    );
    assert.match(view.text, /REGRESSION: 2 of 4 limits crossed/);
  });

  it("make compare fails (make exits 2 for the recipe's 99) past a limit and passes within", () => {
    const make = (env: Record<string, string>) =>
      spawnSync("make", ["-s", "compare"], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
    assert.equal(make({ BASE: base, CANDIDATE: candidate, MAX_P99_REGRESSION: "10%" }).status, 2);
    assert.equal(make({ BASE: base, CANDIDATE: candidate }).status, 0);
  });
});
