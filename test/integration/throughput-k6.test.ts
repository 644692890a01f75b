import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { buildBundles } from "../support/bundle-build";
import { type K6Result, k6Messages, k6UnderTest, runK6 } from "../support/k6";
import { type OutpostStandin, startOutpostStandin } from "../support/outpost-standin";
import { connectRedis, freePort, type RedisServer, startRedis } from "../support/redis-server";

const KEY = "admin-key-do-not-print";

// What throughput does on the pinned real k6 when its surroundings misbehave,
// against a real redis-server and the Outpost stand-in.
describe("throughput on real k6 under real conditions", function () {
  this.timeout(180_000);
  let tmp: string;
  let redisServer: RedisServer;
  let redis: NodeRedisPort;
  let outpost: OutpostStandin;
  let mock: Server;
  let mockUrl: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-throughput-k6-"));
    const [r, o] = await Promise.all([
      startRedis(),
      startOutpostStandin(KEY),
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

  const settings = (env: Record<string, string>): Record<string, string> => ({
    OUTPOST_URL: outpost.url,
    OUTPOST_API_KEY: KEY,
    MOCK_URL: mockUrl,
    REDIS_URL: redisServer.url,
    RATE: "20",
    DURATION: "1s",
    ...env,
  });

  const throughput = (env: Record<string, string>): Promise<K6Result> =>
    runK6(join(tmp, "throughput.js"), { cwd: tmp, env: settings(env) });

  describe("an unreachable dependency stops setup with one line naming its variable (exit 108)", () => {
    const cases: Array<[string, () => Promise<Record<string, string>>, RegExp]> = [
      [
        "Outpost",
        async () => ({ OUTPOST_URL: `http://127.0.0.1:${await freePort()}` }),
        /: Outpost at http:\/\/127\.0\.0\.1:\d+ is unreachable \(.*\): check OUTPOST_URL$/,
      ],
      [
        "the mock",
        async () => ({ MOCK_URL: `http://127.0.0.1:${await freePort()}` }),
        /: the mock webhook at http:\/\/127\.0\.0\.1:\d+ is not healthy \(.*\): check MOCK_URL and that the mock runs$/,
      ],
      [
        "the run-state Redis",
        async () => ({ REDIS_URL: `redis://:pw-do-not-print@127.0.0.1:${await freePort()}` }),
        /: REDIS_URL=redis:\/\/\*\*\*@127\.0\.0\.1:\d+ is unreachable \(dial tcp .*\): check REDIS_URL and that Redis runs$/,
      ],
    ];
    for (const [what, env, line] of cases) {
      it(what, async () => {
        const testId = `dep-${what.replace(/\W+/g, "-")}`;
        const r = await throughput({ TEST_ID: testId, ...(await env()) });
        assert.equal(r.code, 108, r.stderr);
        const errors = k6Messages(r.stderr, "error");
        assert.equal(errors.length, 1, errors.join("\n"));
        assert.match(errors[0], /^test aborted: setup failed for TEST_ID=dep-/);
        assert.match(errors[0], line);
        assert.ok(!r.stderr.includes("Uncaught") && !r.stderr.includes("do-not-print"), r.stderr);
        assert.equal(outpost.published.filter((p) => p.id.startsWith(`${testId}_`)).length, 0, "nothing published");
      });
    }
  });
});
