import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pushTimeseries } from "prometheus-remote-write";
import type { NodeRedisPort } from "../../adapters/node/redis";
import { verdictMetricNames } from "../../src/verify/verdict-metrics";
import { createRun, deliver, type MockProcess, post, startMock } from "../mock-webhook/fixtures";
import { outpostDelivery } from "../mock-webhook/outpost-request";
import { connectRedis, type RedisServer, startRedis } from "../support/redis-server";
import { concreteQuery, loadDashboards, type PanelQuery, queriesOf } from "./support/dashboards";
import { type PrometheusServer, startPrometheus } from "./support/prometheus";

const ROOT = join(__dirname, "../..");
const TEST_ID = "infra-dash";

// monitoring/prometheus/local.yml as the local stack runs it, pointed at this test's mock and
// scraping every second so rates have two samples within seconds.
function localConfig(mockPort: number): string {
  const text = readFileSync(join(ROOT, "monitoring/prometheus/local.yml"), "utf8");
  assert.match(text, /127\.0\.0\.1:48080/);
  assert.match(text, /scrape_interval: 5s/);
  return text.replace("127.0.0.1:48080", `127.0.0.1:${mockPort}`).replace(/scrape_interval: 5s/, "scrape_interval: 1s");
}

// STAND-IN FOR k6 (k6 cannot run here): series named and typed the way k6's
// experimental-prometheus-rw output writes them — k6_ prefix; counters _total; rates _rate;
// gauges as they are; trends as one gauge per K6_PROMETHEUS_RW_TREND_STATS stat, in seconds;
// every k6 tag a label — sent in a real remote-write request (protobuf + snappy).
function k6Series(
  tick: number,
  atMs: number,
): { labels: { __name__: string } & Record<string, string>; samples: { value: number; timestamp: number }[] }[] {
  const tags = { testid: TEST_ID, scenario: "throughput" };
  const publish = {
    ...tags,
    name: "http://127.0.0.1:3333/api/v1/publish",
    method: "POST",
    status: "202",
    expected_response: "true",
  };
  const series: [string, Record<string, string>, number][] = [
    ["k6_http_reqs_total", publish, 100 * tick],
    ["k6_iterations_total", tags, 100 * tick],
    ["k6_dropped_iterations_total", tags, tick],
    ["k6_vus", tags, 10],
    ["k6_vus_max", tags, 20],
    ["k6_http_req_failed_rate", publish, 0],
    ["k6_http_req_duration_p50", publish, 0.004],
    ["k6_http_req_duration_p95", publish, 0.009],
    ["k6_http_req_duration_p99", publish, 0.015],
    ["k6_http_req_duration_max", publish, 0.03],
    // dist/verify.js's verdict gauges (scenarios/verify.ts), named by the verify module itself;
    // verify adds no tags and runs without --tag, so they carry k6's scenario tag and no testid.
    ...verdictMetricNames().map((n): [string, Record<string, string>, number] => [
      `k6_${n}`,
      { scenario: "verify" },
      1,
    ]),
  ];
  return series.map(([name, labels, value]) => ({
    labels: { __name__: name, ...labels },
    samples: [{ value, timestamp: atMs }],
  }));
}

async function remoteWriteK6(prometheus: PrometheusServer, tick: number, atMs: number): Promise<void> {
  const r = await pushTimeseries(k6Series(tick, atMs), {
    url: `${prometheus.url}/api/v1/write`,
    fetch: globalThis.fetch as never,
  });
  assert.ok(r.status >= 200 && r.status < 300, `remote write answered ${r.status} ${r.errorMessage ?? ""}`);
}

// Deliveries that make every mock series exist: first receipts, a duplicate, a bad signature,
// an injected fault, an unplaceable delivery.
async function driveMock(mock: MockProcess): Promise<void> {
  for (let seq = 0; seq < 4; seq++) assert.equal((await deliver(mock, TEST_ID, seq, 0)).status, 200);
  assert.equal((await deliver(mock, TEST_ID, 0, 0)).status, 200);
  assert.equal(
    (await post(mock, outpostDelivery({ testId: TEST_ID, seq: 4, destination: 0, secrets: ["whsec_wrong"] }))).status,
    200,
  );
  assert.equal(
    (await post(mock, outpostDelivery({ testId: "no-such-run", seq: 0, destination: 0, secrets: [] }))).status,
    200,
  );
  const put = await fetch(`${mock.url}/control/faults`, { method: "PUT", body: JSON.stringify({ errorRatio: 1 }) });
  assert.equal(put.status, 200);
  assert.notEqual((await deliver(mock, TEST_ID, 5, 0)).status, 200);
  assert.equal((await fetch(`${mock.url}/control/faults`, { method: "DELETE" })).status, 200);
}

async function emptyQueries(prometheus: PrometheusServer, queries: PanelQuery[]): Promise<string[]> {
  const empty: string[] = [];
  for (const q of queries) {
    const a = await prometheus.query(concreteQuery(q.expr));
    if (a.status !== "success" || a.resultCount === 0) empty.push(`${q.panel}: ${q.expr} (${a.error ?? "no data"})`);
  }
  return empty;
}

describe("local monitoring: a real Prometheus (monitoring/prometheus/local.yml) scraping a real mock and receiving remote writes", function () {
  this.timeout(90_000);
  let server: RedisServer;
  let redis: NodeRedisPort;
  let mock: MockProcess;
  let prometheus: PrometheusServer;

  before(async () => {
    server = await startRedis();
    redis = await connectRedis(server);
    await createRun(redis, TEST_ID, { tenants: 1, destinationsPerTenant: 1 });
    mock = await startMock({ REDIS_URL: server.url, MOCK_WORKERS: "1" });
    prometheus = await startPrometheus(localConfig(Number(new URL(mock.url).port)));
  });
  after(async () => {
    await prometheus?.stop();
    await mock?.stop();
    await redis?.close();
    await server?.stop();
  });

  it("returns data for every query of the mock and k6 dashboards", async () => {
    await driveMock(mock);
    const start = Date.now();
    await remoteWriteK6(prometheus, 1, start - 2000);
    await remoteWriteK6(prometheus, 2, start);
    const dashboards = loadDashboards().filter((d) => d.file === "mock-webhook.json" || d.file === "k6.json");
    const queries = dashboards.flatMap(queriesOf);
    assert.ok(queries.length > 20, `only ${queries.length} queries`);
    // Scrapes arrive every second: wait until rates have two samples, at most 30 s.
    let empty = await emptyQueries(prometheus, queries);
    for (let i = 0; empty.length > 0 && i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      empty = await emptyQueries(prometheus, queries);
    }
    assert.deepEqual(empty, []);
  });

  it("would notice a dashboard query on a metric nobody writes", async () => {
    assert.equal(
      (
        await emptyQueries(prometheus, [
          { panel: "probe", expr: "sum(rate(mock_webhook_no_such_metric_total[$__rate_interval]))" },
        ])
      ).length,
      1,
    );
  });
});
