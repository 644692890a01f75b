// The browser side of a report page, as text: it reads the chart specs
// (chart-spec.ts) from the page's JSON block and draws each with uPlot, which
// the page inlines. Plain ES5 so any browser that opens the file runs it.
export const CHART_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById("olt-charts").textContent);
  function ninesLabel(x) {
    var p = 100 * (1 - Math.pow(10, -x));
    return (p >= 99 ? p.toFixed(Math.max(0, Math.round(x) - 2)) : p.toFixed(0)) + "%";
  }
  function ninesSplits(u) {
    var max = u.scales.x.max, out = [0, Math.log(2) / Math.LN10];
    for (var n = 1; n <= max + 1e-9; n++) out.push(n);
    return out;
  }
  function utc(ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); }
  function draw(c) {
    var el = document.getElementById(c.id);
    if (!el) return;
    var dense = c.x.length > 80;
    var series = [{ label: c.xLabel, value: c.xKind === "nines" ? function (u, v) { return v == null ? "-" : ninesLabel(v); } : undefined }];
    c.series.forEach(function (s) {
      var dots = s.paint === "points" || (s.paint !== "step" && !dense);
      var o = { label: s.label, stroke: s.color, width: 2, scale: s.axis === 2 ? "y2" : "y", points: { show: dots, size: 5 } };
      if (s.paint === "step") o.paths = uPlot.paths.stepped({ align: 1 });
      if (s.paint === "points") o.paths = function () { return null; };
      if (s.dash) o.dash = [6, 4];
      series.push(o);
    });
    var xAxis = { label: c.xLabel };
    if (c.xKind === "nines") { xAxis.splits = ninesSplits; xAxis.values = function (u, vals) { return vals.map(ninesLabel); }; }
    var axes = [xAxis, { label: c.yLabel, size: 60 }];
    var scales = { x: { time: c.xKind === "time", distr: c.xKind === "log" ? 3 : 1 }, y: { distr: c.yLog ? 3 : 1 } };
    if (c.y2Label) { axes.push({ label: c.y2Label, scale: "y2", side: 1, grid: { show: false }, size: 60 }); scales.y2 = {}; }
    var opts = { title: c.title, width: Math.max(320, el.clientWidth), height: 300, series: series, axes: axes, scales: scales, tzDate: utc };
    var data = [c.x].concat(c.series.map(function (s) { return s.values; }));
    new uPlot(opts, data, el);
  }
  specs.forEach(draw);
})();
`;
