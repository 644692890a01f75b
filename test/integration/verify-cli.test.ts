import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStateStore } from "../../src/runstate/store";
import { runNodeTool } from "../support/node-tool";
import { withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";

const verify = (env: Record<string, string>) => runNodeTool("verify", env);

describe("tools/verify.ts as a process", () => {
  const live = withRedis();
  before(async () => {
    // cli-ok: all 20 events delivered to both destinations; cli-lost: seq 3 never arrives at d1.
    for (const [testId, lost] of [
      ["cli-ok", -1],
      ["cli-lost", 3],
    ] as const) {
      const rec = testRunRecord(testId, 1, 2);
      const store = new RunStateStore(live.redis, testId);
      await store.createRunRecord(rec);
      await publishAndDeliver(store, rec, 20, { skip: (seq, d) => seq === lost && d === 1 });
    }
  });

  it("passes a complete run (exit 0) and writes SUMMARY_JSON without secrets", () => {
    const json = join(mkdtempSync(join(tmpdir(), "olt-verify-")), "summary.json");
    const r = verify({ TEST_ID: "cli-ok", REDIS_URL: live.server.url, SUMMARY_JSON: json });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /VERDICT: PASS/);
    const text = readFileSync(json, "utf8");
    assert.equal(JSON.parse(text).verdict.pass, true);
    assert.ok(!text.includes("whsec_"));
  });

  it("fails a run with a lost delivery with exit 99, naming the event", () => {
    const r = verify({
      TEST_ID: "cli-lost",
      REDIS_URL: live.server.url,
      VERIFY_GRACE: "0s",
      VERIFY_POLL_INTERVAL: "100ms",
    });
    assert.equal(r.status, 99, r.stderr);
    assert.match(r.stdout, /VERDICT: FAIL\n/);
    assert.match(r.stdout, /cli-lost_3@d1/);
  });

  for (const [what, env, line] of [
    ["no TEST_ID", {}, /^verify: TEST_ID is required for verify: expected/],
    ["an unknown run", { TEST_ID: "cli-nope" }, /^verify: no run record for TEST_ID=cli-nope/],
    // Port 1 on loopback refuses at once; the password must not be echoed.
    [
      "an unreachable Redis",
      { TEST_ID: "cli-ok", REDIS_URL: "redis://:hunter2@127.0.0.1:1" },
      /^verify: REDIS_URL=redis:\/\/:?\*\*\*@127\.0\.0\.1:1 is unreachable .*: check REDIS_URL and that Redis runs\n$/,
    ],
  ] as const) {
    it(`stops with exit 108 and one line on ${what}`, () => {
      const r = verify({ REDIS_URL: live.server.url, ...env });
      assert.equal(r.status, 108, r.stdout);
      assert.match(r.stderr, line);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    });
  }
});
