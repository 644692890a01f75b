import { formatDuration } from "../config/env";
import type { WithResources } from "../resources/prometheus-resources";
import { STAGES, type Stage } from "../runstate/keys";
import { ackUnrecordedLine } from "../verify/ack-unrecorded";
import type { LatencyOverTime } from "../verify/latency-over-time";
import type { DestinationRow, RoutingGap, UndeliveredEvent } from "../verify/ledger";
import { absentStages, withAbsentStagesEmpty } from "../verify/parse-verify-report";
import type { LostRunReport } from "../verify/lost-run";
import { budgetText, PROFILE_COLUMNS, profileLabel, profileRows } from "../verify/profile-text";
import { isLostRun, type VerifyReport, type VerifyResult } from "../verify/report";
import type { Rate } from "../verify/throughput";
import { verdictHeadline } from "../verify/verdict-headline";
import {
  type Cell,
  esc,
  fmtCount,
  fmtMs,
  fmtPercent,
  isoTime,
  keyValues,
  paragraph,
  section,
  table,
  tiles,
} from "./html";
import {
  distributionChart,
  latencyByStepChart,
  latencyOverTimeChart,
  percentileCurveChart,
  timelineChart,
} from "./latency-charts";
import { type ChartAssets, ChartSet, renderPage } from "./page";
import { resourcesSection } from "./resources-html";

// Enough rows to see every troubled destination of a normal run; the JSON has all.
const MAX_DESTINATION_ROWS = 200;

function verdictBlock(r: VerifyResult): string {
  const h = verdictHeadline(r);
  const checks = table(
    ["", "check", "detail"],
    r.verdict.checks.map((c): Cell[] => [
      // A report saved before the four outcomes has no failsAs: its failed checks failed.
      { html: c.ok ? "ok" : esc(c.failsAs ?? "FAIL"), cls: c.ok ? "ok" : "bad" },
      c.name,
      c.detail,
    ]),
  );
  return [`<div class="verdict ${h.cls}">VERDICT: ${esc(h.text)}</div>`, checks].join("\n");
}

function verdictSection(r: VerifyReport): string {
  const t = r.ledger.totals;
  const e2e = r.latency.stages.e2e;
  const delivered = r.throughput.delivered;
  return [
    verdictBlock(r),
    tiles([
      { label: "accepted (expected deliveries)", value: fmtCount(t.accepted) },
      { label: `delivered (${fmtPercent(r.ledger.deliveredRatio)})`, value: fmtCount(t.delivered) },
      { label: "missing", value: fmtCount(t.missing), cls: t.missing > 0 ? "bad" : "" },
      { label: "in flight", value: fmtCount(t.inFlight), cls: t.inFlight > 0 ? "bad" : "" },
      { label: "not routed", value: fmtCount(t.notRouted), cls: t.notRouted > 0 ? "bad" : "" },
      { label: "duplicates", value: fmtCount(t.duplicates) },
      { label: "delivered / s", value: delivered === null ? "–" : delivered.perSecond.toFixed(1) },
      { label: "e2e p50 (ms)", value: fmtMs(e2e.p50Ms) },
      { label: "e2e p99 (ms)", value: fmtMs(e2e.p99Ms) },
    ]),
    paragraph(budgetText(r)),
  ].join("\n");
}

// A run of several traffic profiles: each one's verdict and figures, and its latency per stage.
function profilesSection(r: VerifyReport): string {
  if (r.profiles.length < 2) return "";
  const rows = profileRows(r, fmtPercent).map((row, i): Cell[] => {
    const pass = r.profiles[i].verdict.pass;
    return row.map((c, col) => (col === 1 ? { html: esc(String(c)), cls: pass ? "ok" : "bad" } : c));
  });
  const notes = r.profiles.flatMap((p) =>
    p.verdict.pass ? [] : [`${profileLabel(p)}: ${p.verdict.reasons.join("; ")}`],
  );
  const latency = r.profiles.map((p) =>
    table(
      ["stage", "samples", "mean", "p50", "p90", "p95", "p99", "max", "below zero"],
      STAGES.map((stage): Cell[] => {
        const s = p.latency[stage];
        return [stage, s.count, ...[s.meanMs, s.p50Ms, s.p90Ms, s.p95Ms, s.p99Ms, s.maxMs].map(msCell), s.belowZero];
      }),
      `profile ${profileLabel(p)}: latency per stage (ms)`,
    ),
  );
  return section(
    "profiles",
    "Traffic profiles",
    paragraph(
      "Each profile is a k6 scenario of its own, judged by the same checks on its own figures; accepted = delivered + missing + in flight + not routed, over its destinations.",
    ),
    table(PROFILE_COLUMNS, rows),
    ...notes.map(paragraph),
    ...latency,
  );
}

const msCell = (v: number | null): Cell => ({ html: fmtMs(v), cls: "num" });

const rateRow = (name: string, r: Rate | null): Cell[] =>
  r === null
    ? [name, "none", "", "", ""]
    : [name, r.events, r.seconds, Number(r.perSecond.toFixed(1)), r.peakPerSecond];

function throughputSection(r: VerifyReport, charts: ChartSet): string {
  return section(
    "timeline",
    "Throughput and timeline",
    table(
      ["", "events", "seconds", "per second", "peak second"],
      [rateRow("published (accepted)", r.throughput.published), rateRow("delivered (first)", r.throughput.delivered)],
    ),
    charts.chart(timelineChart("chart-timeline", r.timeline), "no events"),
  );
}

// absent: the stages a report saved by an older verify lacks (make report reads such files).
function latencySection(r: VerifyReport, absent: Stage[], charts: ChartSet): string {
  const rows = STAGES.map((stage): Cell[] => {
    const s = r.latency.stages[stage];
    const values = [s.meanMs, s.minMs, s.p50Ms, s.p90Ms, s.p95Ms, s.p99Ms, s.maxMs];
    return [stage, s.count, ...values.map(msCell), s.belowZero];
  });
  return section(
    "latency",
    "Latency per stage (ms)",
    table(["stage", "samples", "mean", "min", "p50", "p90", "p95", "p99", "max", "below zero"], rows),
    paragraph(
      `generator_lag: the event's scheduled time (t0) to k6 starting its iteration; publish: iteration start to publish ack (k6); queue: ack to Outpost's attempt start; delivery: attempt start to first byte at the mock; e2e: scheduled time to first byte; receiver: how long the mock held its answer after the first byte (its receiver latency: in neither delivery nor e2e, but Outpost's delivery worker waits for it). ${r.latency.precision.statement}. Events started in the warm-up are not sampled.`,
    ),
    absent.length === 0 ? "" : paragraph(`Not in this report (written by an older verify): ${absent.join(", ")}.`),
    charts.chart(percentileCurveChart("chart-percentiles", r.latency.distribution, r.latency.stages)),
    charts.chart(distributionChart("chart-distribution", r.latency.distribution)),
    overTimeBlock(r.latency.overTime, charts),
  );
}

// o is undefined in a report saved by a verify that predates latency over time (make report).
function overTimeBlock(o: LatencyOverTime | undefined, charts: ChartSet): string {
  if (o === undefined) return paragraph("Latency over time: not in this report (written by an older verify).");
  const parts = [
    `<h3>Latency over time</h3>`,
    paragraph(
      `Each event's samples count in the window its start (t0) falls in; percentiles within ${fmtPercent(o.relativePrecision, 2)}.`,
    ),
    charts.chart(latencyOverTimeChart("chart-over-time", o)),
  ];
  if (o.steps.length > 0) {
    const rows = o.steps.map((s): Cell[] => [
      s.step,
      s.rate,
      isoTime(s.startMs),
      ...STAGES.flatMap((stage) => [msCell(s.stages[stage].p50Ms), msCell(s.stages[stage].p99Ms)]),
    ]);
    parts.push(
      table(["step", "events/s", "from", ...STAGES.flatMap((stage) => [`${stage} p50`, `${stage} p99`])], rows),
      charts.chart(latencyByStepChart("chart-steps", o.steps)),
    );
  }
  return parts.join("\n");
}

function troubledFirst(rows: DestinationRow[]): DestinationRow[] {
  const troubled = (d: DestinationRow): boolean => !d.balanced || d.missing + d.inFlight + d.notRouted + d.unknown > 0;
  return [...rows.filter(troubled), ...rows.filter((d) => !troubled(d))];
}

function eventIds(title: string, total: number, events: UndeliveredEvent[]): string {
  if (total === 0) return "";
  const shown = events.map((e) => `${e.eventId}@d${e.destination}`).join(" ");
  const more = events.length < total ? ` (first ${events.length} listed; VERIFY_LIST_MISSING)` : "";
  return `<p><strong>${esc(title)}: ${total}</strong>${esc(more)}</p><p class="ids">${esc(shown)}</p>`;
}

function routingGaps(gaps: RoutingGap[]): string {
  if (gaps.length === 0) return "";
  return table(
    ["not routed to", "events", "first", "last"],
    gaps.map((g): Cell[] => [`${g.destination} (${g.id})`, g.events, isoTime(g.firstMs), isoTime(g.lastMs)]),
  );
}

function ackUnrecordedParagraph(r: VerifyReport): string {
  const line = ackUnrecordedLine(r);
  return line === null ? "" : paragraph(line.charAt(0).toUpperCase() + line.slice(1));
}

function ledgerSection(r: VerifyReport): string {
  const l = r.ledger;
  const t = l.totals;
  const ordered = troubledFirst(l.destinations);
  const rows = ordered
    .slice(0, MAX_DESTINATION_ROWS)
    .map((d): Cell[] => [
      `${d.destination} (${d.id})`,
      d.tenant,
      d.accepted,
      d.delivered,
      d.missing,
      d.missingAfterFault,
      d.inFlight,
      d.notRouted,
      d.duplicates,
      d.unknown,
      d.deliveredUnacknowledged,
      d.faultedEvents,
      d.attempts,
      { html: d.balanced ? "yes" : "NO", cls: d.balanced ? "ok" : "bad" },
    ]);
  rows.push([
    { html: "<strong>total</strong>" },
    "",
    t.accepted,
    t.delivered,
    t.missing,
    t.missingAfterFault,
    t.inFlight,
    t.notRouted,
    t.duplicates,
    t.unknown,
    t.deliveredUnacknowledged,
    t.faultedEvents,
    t.attempts,
    "",
  ]);
  const hidden = ordered.length - Math.min(ordered.length, MAX_DESTINATION_ROWS);
  return section(
    "ledger",
    "Ledger per destination",
    paragraph(
      `Each destination: accepted = delivered + missing + in flight + not routed (Outpost's publish answer left the destination out). Delivered ${fmtPercent(l.deliveredRatio)} of the expected deliveries.`,
    ),
    table(
      [
        "destination",
        "tenant",
        "accepted",
        "delivered",
        "missing",
        "of which after fault",
        "in flight",
        "not routed",
        "duplicates",
        "unknown",
        "without publish ack",
        "faulted events",
        "attempts",
        "balanced",
      ],
      rows,
    ),
    hidden > 0
      ? paragraph(
          `${hidden} more destination(s) without missing, in-flight, not-routed or unknown deliveries (see the JSON).`,
        )
      : "",
    ackUnrecordedParagraph(r),
    routingGaps(l.notRouted),
    eventIds("Missing (never delivered, no injected fault)", t.missing - t.missingAfterFault, l.missingIds),
    eventIds("Missing after an injected fault on every attempt", t.missingAfterFault, l.missingAfterFaultIds),
    eventIds("In flight (a retry is still owed)", t.inFlight, l.inFlightIds),
    l.voidReasons.length > 0
      ? `<p><strong>Void because:</strong></p><ul>${l.voidReasons.map((v) => `<li>${esc(v)}</li>`).join("")}</ul>`
      : "",
  );
}

const countRows = (c: Record<string, number>): Cell[][] => Object.entries(c).map(([k, n]): Cell[] => [k, n]);

function faultsSection(r: VerifyReport): string {
  const t = r.ledger.totals;
  const faults = countRows(t.faults);
  return section(
    "faults",
    "Injected faults and signatures",
    paragraph(
      `${t.faultedEvents} event deliveries met at least one injected fault; an event faulted and later delivered counts as delivered. Outpost attempts per event: ${r.ledger.maxAttempts === 0 ? "unknown" : r.ledger.maxAttempts}.`,
    ),
    faults.length > 0 ? table(["fault", "attempts"], faults) : paragraph("No fault was injected."),
    table(["signature", "attempts"], countRows(t.signatures)),
  );
}

function publishSection(r: VerifyReport): string {
  const p = r.publish;
  const rows: Cell[][] = [
    ["planned (about)", p.planned],
    ["attempted", p.attempted],
    ["accepted", p.accepted],
    ["duplicate", p.duplicate],
    ...Object.entries(p.rejected).map(([status, n]): Cell[] => [`rejected ${status}`, n]),
    ...Object.entries(p.errors).map(([kind, n]): Cell[] => [`no answer: ${kind}`, n]),
    ...Object.entries(p.other).map(([k, n]): Cell[] => [k, n]),
  ];
  const w = r.wait;
  return section(
    "publish",
    "Publish and wait",
    table(["publish", "count"], rows),
    paragraph(
      `verify waited ${(w.waitedMs / 1000).toFixed(1)} s in ${w.polls} poll(s), stopped by "${w.outcome}"; ${w.delivered} first deliveries of ${w.expected} expected at that point.`,
    ),
  );
}

function settingsSection(r: VerifyReport): string {
  const s = r.settings;
  const run = r.run;
  return section(
    "settings",
    "Settings",
    keyValues([
      ["TEST_ID", r.testId],
      ...run.profiles.flatMap((p): Array<[string, string | number | boolean]> => {
        const of = p.name === "" ? "" : ` (${p.name})`;
        return [
          [`tenants x destinations${of}`, `${p.tenants} x ${p.destinationsPerTenant}`],
          [`topic${of}`, p.topic],
          [`retry${of}`, p.retry],
        ];
      }),
      ["Outpost", run.outpostUrl],
      ["started", isoTime(run.startedAtMs)],
      ["warm-up ends", isoTime(run.warmupEndsAtMs)],
      ["ended", isoTime(r.runEnd.endedAtMs)],
      ["report generated", r.generatedAt],
    ]),
    `<h3>throughput (the run record)</h3>`,
    keyValues(Object.entries(run.settings)),
    `<h3>verify</h3>`,
    keyValues([
      ["REDIS_URL", s.redisUrl],
      ["VERIFY_GRACE", formatDuration(s.graceMs)],
      ["VERIFY_TIMEOUT", formatDuration(s.timeoutMs)],
      ["VERIFY_POLL_INTERVAL", formatDuration(s.pollIntervalMs)],
      ["VERIFY_LIST_MISSING", s.listMissing],
      ["VERIFY_MIN_DELIVERED_RATIO", s.minDeliveredRatio],
      ["VERIFY_ALLOW_PARTIAL", s.allowPartial],
      ["VERIFY_MAX_PUBLISH_ERRORS", s.maxPublishErrors],
      ...s.latencyLimits.map((l): [string, number] => [l.variable, l.maxMs]),
    ]),
  );
}

// The run's shape and load in a line: each profile's, or the one of a run without profiles.
function runShapeText(r: VerifyReport): string {
  const s = r.run.settings;
  return r.run.profiles
    .map((p) => {
      const of = (k: string): string | number | boolean | undefined => s[p.name === "" ? k : `${p.name}.${k}`];
      const name = p.name === "" ? "" : `${p.name}: `;
      return `${name}${p.tenants} tenant(s) x ${p.destinationsPerTenant} destination(s), ${of("PROFILE") ?? ""} profile at ${of("RATE") ?? "?"}/s for ${of("DURATION") ?? "?"}`;
    })
    .join("; ");
}

// A run whose record was lost has a verdict (VOID) and nothing to chart.
function lostRunPage(r: LostRunReport, charts: ChartSet, assets: ChartAssets): string {
  const body = [
    `<h1>outpost-loadtest verify: run ${esc(r.testId)}</h1>`,
    verdictBlock(r),
    paragraph(`Keys of the run still in Redis: ${r.runStateLost.keysFound.join(", ")}.`),
  ].join("\n");
  return renderPage({ title: `verify ${r.testId}: ${verdictHeadline(r).text}`, body, charts, assets });
}

// The verify report as one self-contained HTML page: verdict, throughput over
// time, latency per stage, resources (when folded in from Prometheus), the
// ledger, faults, publish counters and settings; for a lost run, the verdict alone.
export function renderVerifyHtml(result: VerifyResult & WithResources, assets: ChartAssets): string {
  const charts = new ChartSet();
  if (isLostRun(result)) return lostRunPage(result, charts, assets);
  const absent = absentStages(result);
  const r: VerifyReport & WithResources = absent.length === 0 ? result : withAbsentStagesEmpty(result);
  const body = [
    `<h1>outpost-loadtest verify: run ${esc(r.testId)}</h1>`,
    `<p class="sub">${esc(`${runShapeText(r)}; started ${isoTime(r.run.startedAtMs)}`)}</p>`,
    // A report saved before targets were recorded has no `against`.
    r.against === undefined ? "" : `<p class="sub">${esc(`Run made ${r.against}.`)}</p>`,
    verdictSection(r),
    profilesSection(r),
    throughputSection(r, charts),
    latencySection(r, absent, charts),
    r.resources === undefined ? "" : resourcesSection(r.resources, charts),
    ledgerSection(r),
    faultsSection(r),
    publishSection(r),
    settingsSection(r),
  ].join("\n");
  return renderPage({ title: `verify ${r.testId}: ${verdictHeadline(r).text}`, body, charts, assets });
}
