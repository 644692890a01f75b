import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStateStore } from "../../src/runstate/store";
import { buildBundles, ROOT, run } from "../support/bundle-build";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";

const SHIM = join(ROOT, "test/support/k6-shim");

interface VerifyRun {
  code: number;
  stderr: string;
  thresholds: Record<string, boolean>;
  summary: Record<string, string>;
}

// What k6 would decide for "value<op>N" thresholds on gauges: the last value added.
function judgeThresholds(
  thresholds: Record<string, string[]>,
  samples: Record<string, Array<{ value: number }>>,
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [metric, expressions] of Object.entries(thresholds)) {
    const values = samples[metric] ?? [];
    const v = values[values.length - 1]?.value;
    out[metric] =
      v !== undefined &&
      expressions.every((e) => {
        const m = /^value(==|>=|<=)(-?[\d.]+)$/.exec(e);
        assert.ok(m, `unexpected threshold ${e}`);
        const limit = Number(m[2]);
        return m[1] === "==" ? v === limit : m[1] === ">=" ? v >= limit : v <= limit;
      });
  }
  return out;
}

// dist/verify.js itself, run in Node through the k6 stand-in runtime, against a real redis-server.
describe("verify bundle run through the k6 stand-in", function () {
  this.timeout(120_000);
  let tmp: string;
  const live = withRedis();

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-verify-bundle-"));
    await buildBundles(undefined, tmp);
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
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function verifyBundle(env: Record<string, string>): Promise<VerifyRun> {
    const args = ["--import", join(SHIM, "register.mjs"), join(SHIM, "run-bundle.mjs"), join(tmp, "verify.js"), "1"];
    const fullEnv = {
      PATH: process.env.PATH ?? "",
      REDIS_URL: live.server.url,
      VERIFY_GRACE: "0s",
      VERIFY_POLL_INTERVAL: "100ms",
      ...env,
    };
    try {
      const { stdout, stderr } = await run(process.execPath, args, { env: fullEnv });
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      assert.ok(line, `no RESULT line in ${stdout}`);
      const result = JSON.parse(line.slice(7));
      return {
        code: 0,
        stderr,
        thresholds: judgeThresholds(result.options.thresholds, result.samples),
        summary: result.summary,
      };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr, thresholds: {}, summary: {} };
    }
  }

  it("passes every default threshold for a complete run and writes SUMMARY_JSON", async () => {
    const r = await verifyBundle({ TEST_ID: "vb-ok", SUMMARY_JSON: "out/verify.json" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.thresholds, {
      verify_pass: true,
      verify_void: true,
      verify_delivered_ratio: true,
      verify_bad_signatures: true,
    });
    assert.match(r.summary.stdout, /VERDICT: PASS/);
    const json = JSON.parse(r.summary["out/verify.json"]);
    assert.equal(json.ledger.totals.delivered, 60);
    assert.ok(!r.summary["out/verify.json"].includes("whsec_"));
  });

  it("fails the pass and delivered-ratio thresholds when a delivery is lost", async () => {
    const r = await verifyBundle({ TEST_ID: "vb-lost" });
    assert.deepEqual(r.thresholds, {
      verify_pass: false,
      verify_void: true,
      verify_delivered_ratio: false,
      verify_bad_signatures: true,
    });
    assert.match(r.summary.stdout, /VERDICT: FAIL\n/);
    assert.match(r.summary.stdout, /vb-lost_5@d0/);
    assert.equal(Object.keys(r.summary).length, 1, "no SUMMARY_JSON asked for");
  });

  it("adds a latency threshold only when its variable is set", async () => {
    const r = await verifyBundle({ TEST_ID: "vb-ok", VERIFY_MAX_E2E_P99_MS: "5", VERIFY_MAX_PUBLISH_MAX_MS: "50" });
    assert.equal(r.thresholds.verify_e2e_p99_ms, false);
    assert.equal(r.thresholds.verify_publish_max_ms, true);
    assert.equal(r.thresholds.verify_pass, false);
    assert.match(r.summary.stdout, /FAIL e2e p99: e2e p99 9\.0 ms, limit 5 ms \(VERIFY_MAX_E2E_P99_MS\)/);
  });

  it("aborts with one line when TEST_ID is missing or names no run", async () => {
    const missing = await verifyBundle({});
    assert.equal(missing.code, 108);
    assert.match(missing.stderr.trim(), /^test aborted: TEST_ID is required for verify: expected [^\n]+$/);
    const unknown = await verifyBundle({ TEST_ID: "vb-nope" });
    assert.equal(unknown.code, 108);
    assert.match(unknown.stderr.trim(), /^test aborted: no run record for TEST_ID=vb-nope in this Redis[^\n]+$/);
  });
});
