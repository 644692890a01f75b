import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { RunStateStore } from "../../src/runstate/store";
import { buildBundles, ROOT, run } from "../support/bundle-build";
import { type OutpostStandin, startOutpostStandin } from "../support/outpost-standin";
import { connectRedis, type RedisServer, startRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";
const SHIM = join(ROOT, "test/support/k6-shim");

interface BundleRun {
  code: number;
  stdout: string;
  stderr: string;
  result?: {
    options: { scenarios: Record<string, { executor: string }> };
    samples: Record<string, Array<{ value: number; tags: Record<string, string> }>>;
  };
}

// dist/throughput.js itself, run in Node through the k6 stand-in runtime
// (test/support/k6-shim), against a real redis-server and the Outpost stand-in.
describe("throughput bundle run through the k6 stand-in", function () {
  this.timeout(120_000);
  let tmp: string;
  let redisServer: RedisServer;
  let redis: NodeRedisPort;
  let outpost: OutpostStandin;
  let mock: Server;
  let mockUrl: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-run-"));
    const [r, o] = await Promise.all([startRedis(), startOutpostStandin(KEY), buildBundles(undefined, tmp)]);
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

  async function runBundle(env: Record<string, string>, iterations: number): Promise<BundleRun> {
    const fullEnv = {
      PATH: process.env.PATH ?? "",
      OUTPOST_URL: outpost.url,
      OUTPOST_API_KEY: KEY,
      MOCK_URL: mockUrl,
      REDIS_URL: redisServer.url,
      ...env,
    };
    const args = [
      "--import",
      join(SHIM, "register.mjs"),
      join(SHIM, "run-bundle.mjs"),
      join(tmp, "throughput.js"),
      String(iterations),
    ];
    try {
      const { stdout, stderr } = await run(process.execPath, args, { env: fullEnv });
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      return { code: 0, stdout, stderr, result: line ? JSON.parse(line.slice(7)) : undefined };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("provisions, publishes one event per iteration, records it and finalises the run", async () => {
    const r = await runBundle(
      { TEST_ID: "bundle1", TENANTS: "2", DESTINATIONS_PER_TENANT: "2", PAYLOAD_BYTES: "200", WARMUP: "0s" },
      10,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /TEST_ID=bundle1 provisioned: 2 tenants x 2 destinations, constant profile, about 300 events/,
    );
    assert.match(r.stdout, /TEST_ID=bundle1 ended; publish counts \{"accepted":10\}/);
    assert.deepEqual(
      outpost.published.filter((p) => p.id.startsWith("bundle1_")).map((p) => [p.id, p.tenant_id]),
      Array.from({ length: 10 }, (_, i) => [`bundle1_${i}`, `bundle1-t${i % 2}`]),
    );
    assert.equal(r.result?.samples.publish_accepted.length, 10);
    assert.equal(r.result?.samples.publish_latency.length, 10);
    assert.equal(r.result?.options.scenarios.throughput.executor, "constant-arrival-rate");
    const store = new RunStateStore(redis, "bundle1");
    const record = await store.loadRunRecord();
    assert.ok(record);
    assert.deepEqual(await store.progress(record), { expected: 20, delivered: 0 });
    assert.notEqual((await store.runEnd()).endedAtMs, null);
    assert.ok(!r.stdout.includes(KEY) && !r.stdout.includes("whsec_"), "a secret was printed");
  });

  it("a bad setting aborts in setup with one line, before Outpost or Redis is touched", async () => {
    const before = [...outpost.calls.values()].reduce((a, b) => a + b, 0);
    const r = await runBundle({ TEST_ID: "bundle2", PRESET: "smoke", RATE: "fast" }, 5);
    assert.equal(r.code, 108);
    assert.equal(r.stderr.trim(), 'test aborted: RATE="fast" is invalid: expected an integer from 1 to 100000');
    assert.equal(
      [...outpost.calls.values()].reduce((a, b) => a + b, 0),
      before,
    );
    assert.equal(await redis.command(["EXISTS", new RunStateStore(redis, "bundle2").keys.record]), 0);
  });

  it("a refused API key aborts in setup without publishing or printing the key", async () => {
    const r = await runBundle({ TEST_ID: "bundle3", OUTPOST_API_KEY: "wrong-key" }, 5);
    assert.equal(r.code, 108);
    assert.match(
      r.stderr.trim(),
      /^test aborted: setup failed for TEST_ID=bundle3: OUTPOST_API_KEY was refused by Outpost \(401 Unauthorized\)/,
    );
    assert.ok(!r.stderr.includes("wrong-key"));
    assert.equal(outpost.published.filter((p) => p.id.startsWith("bundle3_")).length, 0);
  });
});
