import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CapacityReport } from "../../src/capacity/capacity-report";
import { buildBundles } from "../support/bundle-build";
import { viewInChromium } from "../support/chromium";
import { k6UnderTest } from "../support/k6";
import { runNodeToolAsync } from "../support/node-tool";
import { type MockProcess, startMock } from "../mock-webhook/fixtures";
import { type OutpostFake, startOutpostFake } from "../support/outpost-fake";
import { type RedisServer, startRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";

// tools/capacity.ts (make capacity) driving the pinned real k6 step by step and
// verifying each step, against the Outpost fake delivering to the real mock.
// The fake delivers one webhook at a time (DELIVERY_MAX_CONCURRENCY=1) and the
// mock holds each answer 40 ms, so deliveries top out near 23/s: the knee, with a margin that
// a busy machine does not erase (at 25 ms, 40/s sat on the edge and sometimes held).
describe("capacity search on real k6", function () {
  this.timeout(180_000);
  let tmp: string;
  let redis: RedisServer;
  let outpost: OutpostFake;
  let mock: MockProcess;
  let env: Record<string, string>;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-capacity-run-"));
    const [r, o] = await Promise.all([
      startRedis(),
      startOutpostFake({ apiKey: KEY, deliveryMaxConcurrency: 1, includeMillisecondTimestamp: true }),
      buildBundles(k6UnderTest().flavour, tmp),
    ]);
    redis = r;
    outpost = o;
    mock = await startMock({ REDIS_URL: redis.url, MOCK_FAULT_LATENCY: "fixed:40ms" });
    env = {
      K6: k6UnderTest().path,
      CAPACITY_BUNDLE: join(tmp, "throughput.js"),
      OUTPOST_URL: outpost.url,
      OUTPOST_API_KEY: KEY,
      MOCK_URL: mock.url,
      REDIS_URL: redis.url,
      HOME: tmp,
      CAPACITY_START: "10",
      CAPACITY_STEP: "10",
      CAPACITY_MAX: "80",
      CAPACITY_STEP_DURATION: "5s",
      VERIFY_MAX_E2E_P99_MS: "500",
      VERIFY_GRACE: "3s",
      VERIFY_TIMEOUT: "20s",
    };
  });
  after(async () => {
    await mock?.stop();
    await outpost?.stop();
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("steps up on k6, verifies each step, stops past the knee and names the stage that grew first", async () => {
    const json = join(tmp, "capacity.json");
    const html = join(tmp, "capacity.html");
    const r = await runNodeToolAsync("capacity", { ...env, CAPACITY_JSON: json, CAPACITY_HTML: html });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^capacity search: 8 steps of 5s at 10, 20, 30, 40, 50, 60, 70, 80 events\/s; /);
    assert.match(r.stdout, /\n {2}10\/s: delivered \d+\.\d\/s, e2e p99 \d+\.\d ms, dropped 0, missing 0: held\n/);
    assert.match(r.stdout, /Resource that saturated first: set PROMETHEUS_URL to see it/);
    assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY), "a secret was printed");
    const report = JSON.parse(readFileSync(json, "utf8")) as CapacityReport;
    const { knee, firstFailure, stageGrewFirst } = report.findings;
    // About 23 deliveries/s at most: the knee lies below 30/s, the search stops at the first failure.
    assert.ok(knee !== null && knee.offeredPerSecond >= 10 && knee.offeredPerSecond < 30, JSON.stringify(knee));
    assert.ok(firstFailure !== null && firstFailure.offeredPerSecond === knee.offeredPerSecond + 10);
    assert.equal(report.steps.length, knee.offeredPerSecond / 10 + 1);
    assert.equal(
      report.steps[0].accepted,
      outpost.published.filter((p) => p.id.startsWith(`${report.steps[0].testId}_`)).length,
    );
    // Deliveries queue behind the single worker: the queue stage (and e2e with it) grows first.
    assert.equal(stageGrewFirst?.stage, "queue", JSON.stringify(stageGrewFirst));
    assert.match(r.stdout, new RegExp(`KNEE: ${knee.offeredPerSecond} events/s offered, `));
    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.requests, []);
    assert.deepEqual(
      view.charts.map((c) => [c.id, c.seriesPixels > 200]),
      [
        ["chart-cap-throughput", true],
        ["chart-cap-latency", true],
      ],
    );
    assert.match(view.text, new RegExp(`KNEE: ${knee.offeredPerSecond} events/s`));
  });

  it("stops with one line before any load on a bad setting of the search or of a step", async () => {
    const before = outpost.published.length;
    for (const [more, line] of [
      [
        { CAPACITY_MAX: "" },
        /^capacity: CAPACITY_MAX is required: expected the highest rate to try, in events\/s \(at least CAPACITY_START=10\)\n$/,
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
