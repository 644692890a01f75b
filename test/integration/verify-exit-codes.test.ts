import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStateStore } from "../../src/runstate/store";
import { buildBundles, ROOT } from "../support/bundle-build";
import { k6Messages, k6UnderTest, runK6 } from "../support/k6";
import { freePort, withRedis } from "../support/redis-server";
import { inProgressRunRecord, testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";

interface Ran {
  code: number | null;
  stdout: string;
  // The one-line error when verify could not run.
  error: string | null;
  outcome: string | null;
}

// The same cases through dist/verify.js on the pinned real k6 and through
// tools/verify.ts: both must give the same exit code, first line and JSON outcome.
describe("verify outcomes and exit codes, on real k6 and in Node", function () {
  this.timeout(180_000);
  const live = withRedis();
  let tmp: string;
  let deadRedis: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-exit-codes-"));
    await buildBundles(k6UnderTest().flavour, tmp);
    deadRedis = `redis://:hunter2@127.0.0.1:${await freePort()}`;
    const runs: Array<[string, (store: RunStateStore) => Promise<void>]> = [
      ["x-pass", async () => undefined],
      // seq 3 never reaches destination 1.
      ["x-fail", async () => undefined],
      // A receipt for an event this run never published.
      [
        "x-void",
        async (store) => {
          const rec = testRunRecord("x-void", 1, 2);
          await store.recordReceipt(rec, { destination: 0, seq: 999, t3Ms: rec.startedAtMs, signature: "ok" });
        },
      ],
    ];
    for (const [testId, extra] of runs) {
      const rec = testRunRecord(testId, 1, 2);
      const store = new RunStateStore(live.redis, testId);
      await store.createRunRecord(rec);
      await publishAndDeliver(store, rec, 20, { skip: (seq, d) => testId === "x-fail" && seq === 3 && d === 1 });
      await extra(store);
    }
    // The record was lost while the run's keys remain.
    const lost = testRunRecord("x-lost", 1, 2);
    const lostStore = new RunStateStore(live.redis, "x-lost");
    await lostStore.createRunRecord(lost);
    await publishAndDeliver(lostStore, lost, 20);
    await live.redis.command(["DEL", lostStore.keys.record]);
    // Still publishing: started now, planned to end in ten minutes, no end recorded.
    const open = inProgressRunRecord("x-open", 1, 2);
    const openStore = new RunStateStore(live.redis, "x-open");
    await openStore.createRunRecord(open);
    await publishAndDeliver(openStore, open, 20, { skip: (seq) => seq > 15, open: true });
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const env = (over: Record<string, string>): Record<string, string> => ({
    REDIS_URL: live.server.url,
    VERIFY_GRACE: "0s",
    VERIFY_TIMEOUT: "0s",
    SUMMARY_JSON: "out.json",
    ...over,
  });

  function outcomeIn(dir: string): string | null {
    try {
      return JSON.parse(readFileSync(join(dir, "out.json"), "utf8")).outcome;
    } catch {
      return null;
    }
  }

  async function viaK6(over: Record<string, string>): Promise<Ran> {
    const dir = mkdtempSync(join(tmp, "k6-"));
    const r = await runK6(join(tmp, "verify.js"), { cwd: dir, env: env(over) });
    // k6 itself logs crossed thresholds as an error: that is the verdict, not a failure to run.
    const errors = k6Messages(r.stderr, "error").filter((l) => !/^thresholds on metrics .* have been crossed$/.test(l));
    assert.ok(errors.length <= 1, `more than one error line: ${errors.join("\n")}`);
    assert.ok(!r.stderr.includes("Uncaught"), r.stderr);
    return {
      code: r.code,
      stdout: r.stdout,
      error: errors[0]?.replace(/^test aborted: /, "") ?? null,
      outcome: outcomeIn(dir),
    };
  }

  function viaNode(over: Record<string, string>): Ran {
    const dir = mkdtempSync(join(tmp, "node-"));
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "tools/verify.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env(over), SUMMARY_JSON: join(dir, "out.json") },
      encoding: "utf8",
      timeout: 60_000,
    });
    const lines = r.stderr.trim() === "" ? [] : r.stderr.trim().split("\n");
    assert.ok(lines.length <= 1, r.stderr);
    return {
      code: r.status,
      stdout: r.stdout,
      error: lines[0]?.replace(/^verify: /, "") ?? null,
      outcome: outcomeIn(dir),
    };
  }

  const verdicts: Array<[string, string, string, RegExp]> = [
    ["a complete run", "x-pass", "PASS", /^VERDICT: PASS\n/],
    ["a lost delivery", "x-fail", "FAIL", /^VERDICT: FAIL\n/],
    ["an unknown receipt", "x-void", "VOID", /^VERDICT: VOID\n/],
    ["a run whose record was lost", "x-lost", "VOID", /^VERDICT: VOID \(run state lost\)\n/],
    ["a run still publishing", "x-open", "INCOMPLETE", /^VERDICT: INCOMPLETE \(run in progress\)\n/],
  ];
  for (const [what, testId, outcome, firstLine] of verdicts) {
    it(`${what}: ${outcome}, exit ${outcome === "PASS" ? 0 : 99}, named on the first line and in the JSON`, async () => {
      for (const r of [await viaK6({ TEST_ID: testId }), viaNode({ TEST_ID: testId })]) {
        assert.equal(r.code, outcome === "PASS" ? 0 : 99, r.stdout + String(r.error));
        assert.match(r.stdout, firstLine);
        assert.equal(r.outcome, outcome);
        assert.equal(r.error, null);
      }
    });
  }

  const cannotRun: Array<[string, Record<string, string>, () => RegExp]> = [
    ["a bad setting", { TEST_ID: "x-pass", VERIFY_GRACE: "soon" }, () => /^VERIFY_GRACE="soon" is invalid: expected/],
    ["an unknown run", { TEST_ID: "x-nope" }, () => /^no run record for TEST_ID=x-nope in this Redis/],
    [
      "an unreachable Redis",
      { TEST_ID: "x-pass" },
      () =>
        new RegExp(
          `^REDIS_URL=redis://\\*\\*\\*@127\\.0\\.0\\.1:${deadRedis.split(":").pop()} is unreachable \\((dial tcp|connect ECONNREFUSED) .*\\): check REDIS_URL and that Redis runs$`,
        ),
    ],
  ];
  for (const [what, over, line] of cannotRun) {
    it(`${what}: no verdict, exit 108 and one line`, async () => {
      const withRedisUrl = what === "an unreachable Redis" ? { ...over, REDIS_URL: deadRedis } : over;
      for (const r of [await viaK6(withRedisUrl), viaNode(withRedisUrl)]) {
        assert.equal(r.code, 108, r.stdout);
        assert.match(String(r.error), line());
        assert.ok(!String(r.error).includes("hunter2"));
        assert.equal(r.outcome, null);
      }
    });
  }
});
