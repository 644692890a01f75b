import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pushTimeseries } from "prometheus-remote-write";
import type { ResourceSeries, WithResources } from "../../src/resources/prometheus-resources";
import { RunStateStore } from "../../src/runstate/store";
import { EXIT_CANNOT_RUN } from "../../src/verify/exit-codes";
import type { VerifyReport } from "../../src/verify/report";
import { type PrometheusServer, startPrometheus } from "../infra/support/prometheus";
import { viewInChromium } from "../support/chromium";
import { runNodeTool } from "../support/node-tool";
import { freePort, withRedis } from "../support/redis-server";
import { testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";

const MIB = 1024 * 1024;

// Known series, one sample a second over [fromMs, toMs], named and labelled as
// the local stack's exporters name them, written into a real Prometheus.
function knownSeries(fromMs: number, toMs: number) {
  const seconds: number[] = [];
  for (let t = fromMs; t <= toMs; t += 1000) seconds.push(t);
  const series = (labels: Record<string, string>, value: (s: number) => number) => ({
    labels: labels as { __name__: string } & Record<string, string>,
    samples: seconds.map((t) => ({ timestamp: t, value: value((t - fromMs) / 1000) })),
  });
  const cpu = "namedprocess_namegroup_cpu_seconds_total";
  const mem = "namedprocess_namegroup_memory_bytes";
  return [
    // outpost-server: 0.3 + 0.2 = 0.5 cores; outpost-redis 0.9 cores.
    series({ __name__: cpu, groupname: "outpost-server", mode: "user" }, (s) => 0.3 * s),
    series({ __name__: cpu, groupname: "outpost-server", mode: "system" }, (s) => 0.2 * s),
    series({ __name__: cpu, groupname: "outpost-redis", mode: "user" }, (s) => 0.9 * s),
    series({ __name__: mem, groupname: "outpost-server", memtype: "resident" }, () => 80 * MIB),
    series({ __name__: mem, groupname: "outpost-server", memtype: "virtual" }, () => 1024 * MIB),
    // A delivery backlog growing by 10 messages a second.
    series({ __name__: "rabbitmq_queue_messages", queue: "outpost-delivery" }, (s) => 10 * s),
    series({ __name__: "redis_memory_used_bytes", redis: "outpost" }, () => 14 * MIB),
  ];
}

// PROMETHEUS_URL: the run window's series fold into verify's JSON and HTML
// (tools/verify.ts) and into an existing report (tools/report.ts, make report).
describe("resources from a real Prometheus in the reports", function () {
  this.timeout(90_000);
  const live = withRedis();
  let prometheus: PrometheusServer;
  let dir: string;
  const now = Date.now();
  // The run: 30 s of events that started 90 s ago; the series cover the last 2 minutes.
  const rec = testRunRecord("res-run", 1, 1, { startedAtMs: now - 90_000, warmupEndsAtMs: now - 90_000 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "olt-res-"));
    prometheus = await startPrometheus("global:\n  scrape_interval: 5s\nscrape_configs: []\n");
    const r = await pushTimeseries(knownSeries(now - 120_000, now - 1000), {
      url: `${prometheus.url}/api/v1/write`,
      fetch: globalThis.fetch as never,
    });
    assert.ok(r.status >= 200 && r.status < 300, `remote write answered ${r.status} ${r.errorMessage ?? ""}`);
    const store = new RunStateStore(live.redis, rec.testId);
    await store.createRunRecord(rec);
    await publishAndDeliver(store, rec, 300, { spacingMs: 100 });
  });
  after(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (more: Record<string, string>) => ({
    TEST_ID: rec.testId,
    REDIS_URL: live.server.url,
    VERIFY_TIMEOUT: "0s",
    ...more,
  });
  const find = (r: WithResources, query: string, name: string): ResourceSeries | undefined =>
    r.resources?.series.find((s) => s.query === query && s.name === name);

  it("verify (Node) with PROMETHEUS_URL puts the run window's series in the JSON and the HTML", async () => {
    const json = join(dir, "verify.json");
    const html = join(dir, "verify.html");
    const v = runNodeTool("verify", env({ PROMETHEUS_URL: prometheus.url, SUMMARY_JSON: json, SUMMARY_HTML: html }));
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /Resources from http:\/\/127\.0\.0\.1:\d+, /);
    assert.match(v.stdout, /CPU per process \(local stack\)\s+outpost-server\s+0\.50\d cores/);
    const report = JSON.parse(readFileSync(json, "utf8")) as VerifyReport & WithResources;
    const res = report.resources;
    assert.ok(res !== undefined);
    // The window: the run (30 s from 90 s ago) with 10 s either side.
    assert.equal(res.startMs, rec.startedAtMs - 10_000);
    const cpu = find(report, "process_cpu", "outpost-server");
    assert.ok(cpu && Math.abs(cpu.mean - 0.5) < 0.01 && Math.abs(cpu.max - 0.5) < 0.01, JSON.stringify(cpu));
    assert.ok(Math.abs((find(report, "process_cpu", "outpost-redis")?.mean ?? 0) - 0.9) < 0.01);
    assert.equal(find(report, "process_memory", "outpost-server")?.max, 80 * MIB, "resident only");
    const queue = find(report, "queue_depth", "outpost-delivery");
    assert.ok(
      queue && queue.last > queue.first && queue.last - queue.first > 300,
      JSON.stringify(queue?.points.length),
    );
    assert.deepEqual(res.empty, ["pod_cpu", "pod_memory", "redis_commands", "postgres_commits"]);
    assert.deepEqual(res.errors, []);

    const view = await viewInChromium(html);
    assert.deepEqual(view.errors, []);
    assert.deepEqual(view.requests, []);
    const drawn = view.charts.filter((c) => c.id.startsWith("chart-res-")).map((c) => [c.id, c.seriesPixels > 200]);
    assert.deepEqual(drawn, [
      ["chart-res-process_cpu", true],
      ["chart-res-process_memory", true],
      ["chart-res-redis_memory", true],
      ["chart-res-queue_depth", true],
    ]);
  });

  it("make report folds resources into an existing verify JSON and renders it", async () => {
    const json = join(dir, "plain.json");
    assert.equal(runNodeTool("verify", env({ SUMMARY_JSON: json })).status, 0);
    assert.equal((JSON.parse(readFileSync(json, "utf8")) as WithResources).resources, undefined);
    const html = join(dir, "plain.html");
    const r = runNodeTool("report", { SUMMARY_JSON: json, SUMMARY_HTML: html, PROMETHEUS_URL: prometheus.url });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, "utf8")) as VerifyReport & WithResources;
    assert.ok(Math.abs((find(report, "process_cpu", "outpost-server")?.mean ?? 0) - 0.5) < 0.01);
    assert.match(readFileSync(html, "utf8"), /Resources \(Prometheus\)/);
  });

  it("stops with one line when PROMETHEUS_URL does not answer or is not a URL", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = runNodeTool("report", { SUMMARY_JSON: join(dir, "plain.json"), PROMETHEUS_URL: closed });
    assert.equal(down.status, 2);
    assert.match(
      down.stderr,
      /^report: PROMETHEUS_URL=http:\/\/127\.0\.0\.1:\d+ is unreachable or not Prometheus: ECONNREFUSED[^\n]*\n$/,
    );
    const bad = runNodeTool("verify", env({ PROMETHEUS_URL: "127.0.0.1:9090" }));
    // A bad setting is a reason verify cannot run: 108 (src/verify/exit-codes.ts).
    assert.equal(bad.status, EXIT_CANNOT_RUN);
    assert.match(
      bad.stderr,
      /^verify: PROMETHEUS_URL="127\.0\.0\.1:9090" is invalid: expected a URL starting with http:\/\/ or https:\/\/\n$/,
    );
    const missing = runNodeTool("report", {});
    assert.match(
      missing.stderr,
      /^report: SUMMARY_JSON is required for report: expected the path of a verify JSON report\n$/,
    );
  });
});
