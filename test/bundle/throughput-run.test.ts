import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { RunStateStore } from "../../src/runstate/store";
import { buildBundles } from "../support/bundle-build";
import { type K6Result, k6Messages, k6UnderTest, runK6, startK6 } from "../support/k6";
import { type OutpostFake, startOutpostFake } from "../support/outpost-fake";
import { connectRedis, type RedisServer, startRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";

interface SummaryExport {
  metrics: Record<string, { count?: number; value?: number; thresholds?: Record<string, boolean> }>;
}

// dist/throughput.js on the pinned real k6 (its scheduler, thresholds, exit codes, setup data
// and teardown), against a real redis-server and the Outpost fake.
describe("throughput bundle on real k6", function () {
  this.timeout(180_000);
  let tmp: string;
  let redisServer: RedisServer;
  let redis: NodeRedisPort;
  let outpost: OutpostFake;
  let mock: Server;
  let mockUrl: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-run-"));
    const [r, o] = await Promise.all([
      startRedis(),
      startOutpostFake({ apiKey: KEY }),
      buildBundles(k6UnderTest().flavour, tmp),
    ]);
    redisServer = r;
    outpost = o;
    redis = await connectRedis(redisServer);
    // Only the mock's health check matters here: nothing is delivered.
    mock = createServer((req, res) => res.writeHead(req.url === "/healthz" ? 200 : 404).end());
    await new Promise<void>((resolve) => mock.listen(0, "127.0.0.1", resolve));
    mockUrl = `http://127.0.0.1:${(mock.address() as AddressInfo).port}`;
  });
  after(async () => {
    await redis?.close();
    await redisServer?.stop();
    await outpost?.stop();
    mock?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function settings(env: Record<string, string>): Record<string, string> {
    return { OUTPOST_URL: outpost.url, OUTPOST_API_KEY: KEY, MOCK_URL: mockUrl, REDIS_URL: redisServer.url, ...env };
  }

  async function throughput(env: Record<string, string>): Promise<K6Result & { summary: SummaryExport }> {
    const summaryFile = join(tmp, `summary-${env.TEST_ID}.json`);
    const r = await runK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings(env),
      args: [`--summary-export=${summaryFile}`],
    });
    let summary: SummaryExport = { metrics: {} };
    try {
      summary = JSON.parse(readFileSync(summaryFile, "utf8"));
    } catch {
      // No summary when k6 stopped before the test ran (script error, abort in setup).
    }
    return { ...r, summary };
  }

  const publishedBy = (testId: string) => outpost.published.filter((p) => p.id.startsWith(`${testId}_`));

  it("provisions, publishes on k6's schedule, records every ack and finalises the run in teardown", async () => {
    const r = await throughput({
      TEST_ID: "bundle1",
      TENANTS: "2",
      DESTINATIONS_PER_TENANT: "2",
      PAYLOAD_BYTES: "200",
      RATE: "20",
      DURATION: "1s",
    });
    assert.equal(r.code, 0, r.stderr);
    const info = k6Messages(r.stderr, "info");
    assert.ok(
      info.includes(
        "TEST_ID=bundle1 provisioned: 2 tenants x 2 destinations, constant profile, about 20 events, " +
          "against the Outpost fake (test/support/outpost-fake), not Outpost",
      ),
      info.join("\n"),
    );
    const published = publishedBy("bundle1");
    const n = published.length;
    // k6's constant-arrival-rate starts RATE x DURATION iterations, or one more when the tick at
    // exactly DURATION beats the end of the scenario (a race in grafana/k6
    // lib/executor/constant_arrival_rate.go), numbered 0..n-1.
    assert.ok(n === 20 || n === 21, `published ${n}`);
    assert.deepEqual(
      published.map((p) => [p.id, p.tenant_id]).sort(),
      Array.from({ length: n }, (_, i) => [`bundle1_${i}`, `bundle1-t${i % 2}`]).sort(),
    );
    assert.equal(r.summary.metrics.publish_accepted?.count, n);
    assert.equal(r.summary.metrics.dropped_iterations?.count, 0, "no iteration dropped");
    assert.ok(
      info.some((l) => l.startsWith(`TEST_ID=bundle1 ended; publish counts {"accepted":${n}}`)),
      info.join("\n"),
    );
    const store = new RunStateStore(redis, "bundle1");
    const record = await store.loadRunRecord();
    assert.ok(record);
    assert.deepEqual(await store.progress(record), { expected: 2 * n, delivered: 0 });
    assert.notEqual((await store.runEnd()).endedAtMs, null);
    // Every publish sample also went into its latency window (all within the first 10 s).
    assert.deepEqual(record.latencyWindows, { windowMs: 10_000, steps: [] });
    assert.equal((await store.latencyWindowHistograms(0)).get(0)?.publish.count, n);
    assert.ok(
      !(r.stdout + r.stderr).includes(KEY) && !(r.stdout + r.stderr).includes("whsec_"),
      "a secret was printed",
    );
  });

  it("a bad setting aborts in setup with one line (exit 108), before Outpost or Redis is touched", async () => {
    const before = [...outpost.calls.values()].reduce((a, b) => a + b, 0);
    const r = await throughput({ TEST_ID: "bundle2", PRESET: "smoke", RATE: "fast" });
    assert.equal(r.code, 108);
    assert.deepEqual(k6Messages(r.stderr, "error"), [
      'test aborted: RATE="fast" is invalid: expected an integer from 1 to 100000',
    ]);
    assert.equal(
      [...outpost.calls.values()].reduce((a, b) => a + b, 0),
      before,
    );
    assert.equal(await redis.command(["EXISTS", new RunStateStore(redis, "bundle2").keys.record]), 0);
  });

  it("a refused API key aborts in setup (exit 108) without publishing or printing the key", async () => {
    const r = await throughput({ TEST_ID: "bundle3", OUTPOST_API_KEY: "wrong-key" });
    assert.equal(r.code, 108);
    const errors = k6Messages(r.stderr, "error");
    assert.equal(errors.length, 1, r.stderr);
    assert.match(
      errors[0],
      /^test aborted: setup failed for TEST_ID=bundle3: OUTPOST_API_KEY was refused by Outpost \(401 Unauthorized\)/,
    );
    assert.ok(!r.stderr.includes("wrong-key"));
    assert.equal(publishedBy("bundle3").length, 0);
  });

  it("a refused publish crosses THRESHOLD_MAX_REJECTED: k6 exits 99", async () => {
    outpost.failPublish.set("bundle4_3", 500);
    const r = await throughput({ TEST_ID: "bundle4", RATE: "10", DURATION: "1s" });
    assert.equal(r.code, 99, r.stderr);
    assert.equal(r.summary.metrics.publish_rejected?.count, 1);
    assert.deepEqual(r.summary.metrics.publish_rejected?.thresholds, { "count<=0": true });
    assert.match(r.stderr, /thresholds on metrics 'publish_rejected' have been crossed/);
  });

  it("counts dropped iterations when the VUs cannot keep up, and THRESHOLD_MAX_DROPPED fails the run", async () => {
    outpost.publishDelayMs = 300;
    try {
      const r = await throughput({
        TEST_ID: "bundle5",
        RATE: "20",
        DURATION: "1s",
        PRE_ALLOCATED_VUS: "1",
        MAX_VUS: "1",
      });
      assert.equal(r.code, 99, r.stderr);
      const dropped = r.summary.metrics.dropped_iterations?.count ?? 0;
      assert.ok(dropped > 5, `dropped ${dropped}`);
      const started = publishedBy("bundle5").length + dropped;
      assert.ok(started === 20 || started === 21, `published + dropped = ${started}`);
      assert.match(r.stderr, /thresholds on metrics 'dropped_iterations' have been crossed/);
    } finally {
      outpost.publishDelayMs = 0;
    }
  });

  it("Ctrl-C stops k6 with exit 105 after teardown", async () => {
    const run = startK6(join(tmp, "throughput.js"), {
      cwd: tmp,
      env: settings({ TEST_ID: "bundle6", RATE: "20", DURATION: "30s" }),
    });
    const deadline = Date.now() + 30_000;
    while (publishedBy("bundle6").length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    run.signal("SIGINT");
    const r = await run.done;
    assert.equal(r.code, 105, r.stderr);
    assert.ok(publishedBy("bundle6").length < 200, "stopped early");
    const info = k6Messages(r.stderr, "info");
    assert.ok(
      info.some((l) => l.startsWith("TEST_ID=bundle6 ended")),
      `teardown ran: ${info.join("\n")}`,
    );
  });
});
