import { strict as assert } from "node:assert";
import { NodeHttpPort } from "../../adapters/node/http";
import { layoutProfiles, tenantId } from "../../src/runstate/identity";
import { metric } from "../mock-webhook/fixtures";
import { freePort } from "../support/redis-server";
import type { CaseContext } from "./context";

const http = new NodeHttpPort();

export function misconfigurationCases(ctx: CaseContext): void {
  const { target, title } = ctx;

  // Each stops throughput in setup (k6 exit 108) with one error line, before any load: no
  // iteration ran, nothing reached the mock, and Outpost holds no tenant of the run.
  const cases: Array<{ name: string; env: () => Promise<Record<string, string>>; line: (port: string) => RegExp }> = [
    {
      name: "wrong API key",
      env: async () => ({ OUTPOST_API_KEY: "not-the-key-e2e" }),
      line: () =>
        /^test aborted: setup failed for TEST_ID=\S+: OUTPOST_API_KEY was refused by Outpost \(401 Unauthorized\): set it to Outpost's API_KEY$/,
    },
    {
      name: "Outpost down (nothing listening at OUTPOST_URL)",
      env: async () => ({ OUTPOST_URL: `http://127.0.0.1:${await freePort()}` }),
      line: (port) =>
        new RegExp(
          `^test aborted: setup failed for TEST_ID=\\S+: Outpost at http://127\\.0\\.0\\.1:${port} is unreachable \\(.*refused.*\\): check OUTPOST_URL$`,
        ),
    },
    {
      name: "run-state Redis down (nothing listening at REDIS_URL)",
      env: async () => ({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }),
      line: (port) =>
        new RegExp(
          `^test aborted: setup failed for TEST_ID=\\S+: REDIS_URL=redis://127\\.0\\.0\\.1:${port} is unreachable \\(.*refused\\): check REDIS_URL and that Redis runs$`,
        ),
    },
  ];

  for (const c of cases) {
    it(title(`misconfiguration, ${c.name}: one line, before any load`), async function () {
      if (c.name === "wrong API key" && target.apiKey === "") this.skip(); // an Outpost without API_KEY takes any
      const s = ctx.stack();
      const id = s.testId(`bad-${cases.indexOf(c)}`);
      const deliveriesBefore = await metric(s.mock, "mock_webhook_requests_total", { route: "webhook" });
      const env = await c.env();
      const port = /:(\d+)$/.exec(Object.values(env)[0])?.[1] ?? "";
      const t = await s.throughput({ TEST_ID: id, RATE: "50", DURATION: "2s", ...env });
      assert.equal(t.code, 108, t.stderr);
      assert.equal(t.errors.length, 1, t.stderr);
      assert.match(t.errors[0], c.line(port));
      ctx.note(t.errors[0]);
      assert.ok(!t.stderr.includes(target.apiKey || "\u0000"), "the API key was printed");
      assert.equal(t.metrics.iterations?.count ?? 0, 0, "no iteration ran");
      assert.equal(await metric(s.mock, "mock_webhook_requests_total", { route: "webhook" }), deliveriesBefore);
      const tenant = await http.request({
        method: "GET",
        url: `${target.url}/api/v1/tenants/${tenantId(id, layoutProfiles([{ name: "", tenants: 1, destinationsPerTenant: 1 }])[0], 0)}`,
        headers: target.apiKey ? { Authorization: `Bearer ${target.apiKey}` } : {},
      });
      assert.equal(tenant.status, 404, "nothing provisioned in Outpost");
    });
  }
}
