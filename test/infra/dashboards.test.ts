import { strict as assert } from "node:assert";
import { allPanels, concreteQuery, loadDashboards, queriesOf } from "./support/dashboards";
import { type PrometheusServer, startPrometheus } from "./support/prometheus";

const EXPECTED = [
  "dependencies.json",
  "k6.json",
  "mock-webhook.json",
  "outpost-components.json",
  "outpost-internals.json",
];

describe("Grafana dashboards (monitoring/dashboards)", () => {
  const dashboards = loadDashboards();

  it("has one valid JSON dashboard per view the issue asks for, with unique uids", () => {
    assert.deepEqual(dashboards.map((d) => d.file).sort(), EXPECTED);
    const uids = dashboards.map((d) => d.uid);
    assert.equal(new Set(uids).size, uids.length);
  });

  it("gives every panel an id unique in its dashboard, and every graph at least one query", () => {
    for (const d of dashboards) {
      const ids = allPanels(d).map((p) => p.id);
      assert.ok(
        ids.every((id) => Number.isInteger(id)),
        d.file,
      );
      assert.equal(new Set(ids).size, ids.length, `${d.file}: duplicate panel ids ${ids}`);
      for (const p of allPanels(d))
        if (p.type !== "row") assert.ok((p.targets ?? []).length > 0, `${d.file} #${p.id} has no query`);
    }
  });

  describe("every query parses as PromQL in a real Prometheus", function () {
    this.timeout(30_000);
    let prometheus: PrometheusServer;
    before(async () => {
      prometheus = await startPrometheus("global: { scrape_interval: 15s }\n");
    });
    after(async () => prometheus?.stop());

    it("answers 200, not 400 bad_data, for each panel query", async () => {
      const failures: string[] = [];
      for (const d of dashboards) {
        for (const q of queriesOf(d)) {
          const a = await prometheus.query(concreteQuery(q.expr));
          if (a.httpStatus !== 200) failures.push(`${q.panel}: ${a.error} in ${q.expr}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it("would catch a query that does not parse", async () => {
      const a = await prometheus.query(concreteQuery("sum(rate(mock_webhook_receipts_total[$__rate_interval])"));
      assert.equal(a.httpStatus, 400);
    });
  });
});
