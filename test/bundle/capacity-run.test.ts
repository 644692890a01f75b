import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CapacityReport } from "../../src/capacity/capacity-report";
import { buildBundles } from "../support/bundle-build";
import { viewInChromium } from "../support/chromium";
import { k6UnderTest } from "../support/k6";
import { runNodeToolAsync } from "../support/node-tool";
import { type OutpostStandin, startOutpostStandin } from "../support/outpost-standin";
import { type RedisServer, startRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";

// tools/capacity.ts (make capacity) driving the pinned real k6 step by step and
// verifying each step, against the Outpost stand-in (which accepts publishes and
// delivers nothing): the first step cannot hold, so the search stops there.
describe("capacity search on real k6", function () {
  this.timeout(180_000);
  let tmp: string;
  let redis: RedisServer;
  let outpost: OutpostStandin;
  let mock: Server;
  let env: Record<string, string>;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-capacity-run-"));
    const [r, o] = await Promise.all([
      startRedis(),
      startOutpostStandin(KEY),
      buildBundles(k6UnderTest().flavour, tmp),
    ]);
    redis = r;
    outpost = o;
    mock = createServer((req, res) => res.writeHead(req.url === "/healthz" ? 200 : 404).end());
    await new Promise<void>((resolve) => mock.listen(0, "127.0.0.1", resolve));
    env = {
      K6: k6UnderTest().path,
      CAPACITY_BUNDLE: join(tmp, "throughput.js"),
      OUTPOST_URL: outpost.url,
      OUTPOST_API_KEY: KEY,
      MOCK_URL: `http://127.0.0.1:${(mock.address() as AddressInfo).port}`,
      REDIS_URL: redis.url,
      HOME: tmp,
      CAPACITY_START: "5",
      CAPACITY_STEP: "5",
      CAPACITY_MAX: "15",
      CAPACITY_STEP_DURATION: "5s",
      VERIFY_MAX_E2E_P99_MS: "500",
      VERIFY_GRACE: "0s",
      VERIFY_TIMEOUT: "0s",
    };
  });
  after(async () => {
    mock?.close();
    await outpost?.stop();
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("runs a step on k6, verifies it, stops at the first step that does not hold, and exits 99 without a knee", async () => {
    const json = join(tmp, "capacity.json");
    const html = join(tmp, "capacity.html");
    const r = await runNodeToolAsync("capacity", { ...env, CAPACITY_JSON: json, CAPACITY_HTML: html });
    assert.equal(r.status, 99, r.stderr);
    assert.match(r.stdout, /^capacity search: 3 steps of 5s at 5, 10, 15 events\/s; /);
    assert.match(
      r.stdout,
      /\n {2}5\/s: delivered -\/s, e2e p99 - ms, dropped 0, missing 2[56]: did not hold \(delivered 0 of 2[56] /,
    );
    assert.match(r.stdout, /KNEE: none: no step held \(the lowest, 5\/s, failed\)/);
    assert.match(r.stdout, /Resource that saturated first: set PROMETHEUS_URL to see it/);
    assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY), "a secret was printed");
    const report = JSON.parse(readFileSync(json, "utf8")) as CapacityReport;
    assert.equal(report.steps.length, 1, "stopped after the first step");
    const [step] = report.steps;
    assert.equal(step.offeredPerSecond, 5);
    assert.equal(step.held, false);
    assert.equal(step.accepted, outpost.published.filter((p) => p.id.startsWith(`${step.testId}_`)).length);
    assert.deepEqual([report.findings.knee, report.findings.firstFailure?.testId], [null, step.testId]);
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.match(view.text, /KNEE: none — no step held/);
  });

  it("stops with one line before any load on a bad setting of the search or of a step", async () => {
    const before = outpost.published.length;
    for (const [more, line] of [
      [
        { CAPACITY_MAX: "" },
        /^capacity: CAPACITY_MAX is required: expected the highest rate to try, in events\/s \(at least CAPACITY_START=5\)\n$/,
      ],
      [{ TENANTS: "0" }, /^capacity: TENANTS="0" is invalid: expected an integer from 1 to 100000\n$/],
      [{ VERIFY_GRACE: "soon" }, /^capacity: VERIFY_GRACE="soon" is invalid: /],
    ] as const) {
      const r = await runNodeToolAsync("capacity", { ...env, ...more });
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, line);
    }
    assert.equal(outpost.published.length, before, "nothing was published");
  });
});
