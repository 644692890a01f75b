import { strict as assert } from "node:assert";
import { allPanels, concreteQuery, loadDashboards, queriesOf } from "./support/dashboards";
import { CODE_TAGS, k6Labels, k6RunLines, runTagKeys, selectors, tagKeysInCode } from "./support/k6-tags";
import { type PrometheusServer, startPrometheus } from "./support/prometheus";
import { renderTestRun } from "./support/scripts";

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

  describe("label filters on k6 series name only labels those series carry", () => {
    // Labels every documented way of running a bundle gives its series: the TestRun's arguments
    // and the commands the kind scripts print, for dist/throughput.js; the printed commands for verify.
    const common = (lists: string[][]): string[] => lists[0].filter((t) => lists.every((l) => l.includes(t)));
    const throughputRuns = [
      runTagKeys(renderTestRun(2, "run-tags").spec.args),
      ...k6RunLines("dist/throughput.js").map(runTagKeys),
    ];
    const verifyRuns = k6RunLines("dist/verify.js").map(runTagKeys);
    const runTags = (metric: string): string[] => common(/^k6_verify_/.test(metric) ? verifyRuns : throughputRuns);

    function labelProblems(queries: { panel: string; expr: string }[]): string[] {
      return queries.flatMap((q) =>
        selectors(q.expr)
          .filter((s) => s.metric.startsWith("k6_"))
          .flatMap((s) => {
            const carried = k6Labels(s.metric, runTags(s.metric));
            return s.labels.filter((l) => !carried.has(l)).map((l) => `${q.panel}: ${s.metric} carries no label ${l}`);
          }),
      );
    }

    it("reads the tags the code adds from the sources (adapters/k6, scenarios)", () => {
      assert.deepEqual(tagKeysInCode(), CODE_TAGS);
      assert.ok(verifyRuns.length > 0 && throughputRuns.length > 1);
    });

    it("in every panel query and template variable", () => {
      const variables = dashboards.flatMap((d) =>
        ((d as { templating?: { list: { name: string; definition?: string }[] } }).templating?.list ?? []).flatMap(
          (v) => {
            const m = /label_values\((\w+),\s*(\w+)\)/.exec(v.definition ?? "");
            return m ? [{ panel: `${d.file} variable ${v.name}`, expr: `${m[1]}{${m[2]}=~".+"}` }] : [];
          },
        ),
      );
      assert.deepEqual(labelProblems([...dashboards.flatMap(queriesOf), ...variables]), []);
    });

    it("would catch a verify panel filtered by testid", () => {
      assert.equal(labelProblems([{ panel: "probe", expr: 'max(k6_verify_pass{testid=~"$testid"})' }]).length, 1);
    });
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
