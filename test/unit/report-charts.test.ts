import { strict as assert } from "node:assert";
import { emptyHistogram, type Histogram } from "../../src/runstate/histogram";
import type { Stage } from "../../src/runstate/keys";
import { distributionChart, percentileCurveChart, timelineChart } from "../../src/report/latency-charts";
import { renderPage, ChartSet } from "../../src/report/page";
import { stageLatencies } from "../../src/verify/latency";
import { stageDistributions } from "../../src/verify/latency-distribution";

const LOG_GAMMA = Math.log(1.02);

function histogramOf(valuesMs: number[]): Histogram {
  const h = emptyHistogram();
  for (const ms of valuesMs) {
    const us = ms * 1000;
    const b = us >= 1 ? Math.floor(Math.log(us) / LOG_GAMMA) + 1 : 0;
    h.buckets.set(b, (h.buckets.get(b) ?? 0) + 1);
    h.count++;
    h.minUs = Math.min(h.minUs, us);
    h.maxUs = Math.max(h.maxUs, us);
  }
  return h;
}

// queue: 1..1000 ms; e2e: 1000 samples of 5 ms and one of 900 ms; the others empty.
function histograms(): Record<Stage, Histogram> {
  return {
    generator_lag: emptyHistogram(),
    publish: emptyHistogram(),
    queue: histogramOf(Array.from({ length: 1000 }, (_, i) => i + 1)),
    delivery: emptyHistogram(),
    e2e: histogramOf([...Array.from({ length: 1000 }, () => 5), 900]),
    receiver: emptyHistogram(),
  };
}

describe("report charts", () => {
  it("keeps every sample of a stage in its distribution, in ascending buckets", () => {
    const d = stageDistributions(histograms());
    assert.equal(
      d.queue.reduce((s, b) => s + b[2], 0),
      1000,
    );
    assert.deepEqual(d.publish, []);
    for (let i = 1; i < d.queue.length; i++) assert.ok(d.queue[i][0] >= d.queue[i - 1][1] - 1e-9);
    const [from, to] = d.e2e[0];
    assert.ok(from <= 5 && 5 < to && to / from < 1.021, `5 ms in [${from}, ${to})`);
  });

  it("draws percentile curves that agree with the report's percentiles and end where the samples do", () => {
    const h = histograms();
    const stages = stageLatencies(h);
    const chart = percentileCurveChart("p", stageDistributions(h), stages);
    assert.deepEqual(
      chart.series.map((s) => s.label),
      ["queue", "e2e"],
    );
    const at = (label: string, nines: number): number | null => {
      const i = chart.x.findIndex((x) => Math.abs(x - nines) < 1e-6);
      return chart.series.find((s) => s.label === label)?.values[i] ?? null;
    };
    // The JSON keeps bucket bounds to six significant digits.
    const near = (a: number | null, b: number | null): boolean =>
      a !== null && b !== null && Math.abs(a / b - 1) < 1e-5;
    assert.ok(near(at("queue", 1), stages.queue.p90Ms));
    assert.ok(near(at("queue", 2), stages.queue.p99Ms));
    assert.ok(near(at("e2e", 2), stages.e2e.p99Ms));
    // 1001 samples resolve to about 3 nines; queue's 1000 reach exactly 3, past which it has no line.
    const last = chart.x.length - 1;
    assert.ok(chart.x[last] > 3);
    assert.equal(chart.series[0].values[last], null);
    assert.equal(chart.series[1].values[last], stages.e2e.maxMs);
  });

  it("shows each stage's distribution as shares that add up to 100%", () => {
    const chart = distributionChart("d", stageDistributions(histograms()));
    for (const s of chart.series) {
      const sum = s.values.reduce<number>((a, v) => a + (v ?? 0), 0);
      assert.ok(Math.abs(sum - 100) < 0.01, `${s.label}: ${sum}`);
    }
    // Edges ascend on a log axis: about ten bins per decade.
    for (let i = 1; i < chart.x.length; i++) assert.ok(chart.x[i] / chart.x[i - 1] > 1.25);
  });

  it("counts deliveries owed per second from accepted events x destinations per tenant", () => {
    const chart = timelineChart("t", [
      { second: 10, published: 5, delivered: 4, owed: 10 },
      { second: 11, published: 5, delivered: 12, owed: 10 },
      { second: 12, published: 0, delivered: 3, owed: 0 },
    ]);
    assert.deepEqual(chart.series[2].values, [6, 4, 1]);
  });

  it("escapes what could end a script element and leaves out empty charts", () => {
    const charts = new ChartSet();
    const note = charts.chart(timelineChart("t", []), "no events");
    assert.match(note, /no events/);
    charts.chart({
      ...timelineChart("x", [{ second: 1, published: 1, delivered: 1, owed: 1 }]),
      title: "</script><b>",
    });
    const page = renderPage({
      title: "t",
      body: note,
      charts,
      assets: { script: "var s = '</script>';", style: "" },
    });
    assert.equal(page.match(/<\/script>/g)?.length, 3, "only the three script elements end");
    assert.ok(!page.includes("</script><b>"));
  });
});
