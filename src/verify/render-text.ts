import { formatDuration } from "../config/env";
import { type Stage, STAGES } from "../runstate/keys";
import type { RunProfile } from "../runstate/record";
import { EXHAUSTED_SPLIT_LIMIT } from "../runstate/scripts";
import { ackUnrecordedLine } from "./ack-unrecorded";
import type { StageLatencies } from "./latency";
import type { DestinationRow, UndeliveredEvent } from "./ledger";
import { renderLostRun } from "./lost-run";
import { budgetText, PROFILE_COLUMNS, profileLabel, profileRows, receiverText } from "./profile-text";
import { isLostRun, type VerifyReport, type VerifyResult } from "./report";
import type { Rate, TimelinePoint } from "./throughput";
import { shortfall } from "./publish-counters";
import { percentText } from "./verdict";

const MAX_DESTINATION_ROWS = 20;

// What a negative sample of each stage says (docs/loadtest.md, clocks).
const NEGATIVE_MEANS: Record<Stage, string> = {
  generator_lag:
    "the iteration started before its scheduled time by less than the millisecond to which k6 gives the scenario's start (exec.scenario.startTime)",
  publish: "k6's wall clock stepped back between iteration start and publish ack",
  queue: "Outpost started the attempt before k6 saw the publish ack (a real race, or Outpost's clock ahead of k6's)",
  delivery: "Outpost's clock is ahead of the mock's",
  e2e: "k6's clock is ahead of the mock's",
  receiver: "never: the mock records the hold it applies",
};
const MAX_TIMELINE_ROWS = 30;

export function table(header: string[], rows: Array<Array<string | number>>): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")}`);
}

const ms = (v: number | null): string => (v === null ? "-" : v.toFixed(1));
const iso = (epochMs: number | null): string => (epochMs === null ? "not recorded" : new Date(epochMs).toISOString());
const counts = (c: Record<string, number>): string => {
  const parts = Object.entries(c).map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
};

function waitLine(r: VerifyReport): string {
  const w = r.wait;
  const why = {
    complete: "every expected delivery arrived",
    grace: `nothing new arrived for ${formatDuration(r.settings.graceMs)} (VERIFY_GRACE)`,
    timeout: `hit VERIFY_TIMEOUT ${formatDuration(r.settings.timeoutMs)}`,
  }[w.outcome];
  return `Waited ${(w.waitedMs / 1000).toFixed(1)} s, ${w.polls} poll(s): ${why}; ${w.delivered} first deliveries seen of ${w.expected} expected.`;
}

function destinationTable(rows: DestinationRow[]): string[] {
  const troubled = (d: DestinationRow): boolean => !d.balanced || d.missing + d.inFlight + d.notRouted + d.unknown > 0;
  const ordered = [...rows.filter(troubled), ...rows.filter((d) => !troubled(d))];
  const shown = ordered.slice(0, MAX_DESTINATION_ROWS);
  const lines = table(
    [
      "destination",
      "accepted",
      "delivered",
      "missing",
      "in flight",
      "not routed",
      "duplicates",
      "unknown",
      "faulted events",
      "balanced",
    ],
    shown.map((d) => [
      `${d.destination} (${d.id})`,
      d.accepted,
      d.delivered,
      d.missing,
      d.inFlight,
      d.notRouted,
      d.duplicates,
      d.unknown,
      d.faultedEvents,
      d.balanced ? "yes" : "NO",
    ]),
  );
  if (ordered.length > shown.length)
    lines.push(
      `  … ${ordered.length - shown.length} more destination(s) without missing, in-flight, not-routed or unknown deliveries (see SUMMARY_JSON)`,
    );
  return lines;
}

function ackUnrecordedRow(r: VerifyReport): string[] {
  const line = ackUnrecordedLine(r);
  return line === null ? [] : [`  ${line}`];
}

function eventList(title: string, total: number, events: UndeliveredEvent[]): string[] {
  if (total === 0) return [];
  const shown = events.map((e) => `${e.eventId}@d${e.destination}`).join(" ");
  return [
    `${title}: ${total}${events.length < total ? ` (first ${events.length} listed; VERIFY_LIST_MISSING)` : ""}`,
    ...(shown ? [`  ${shown}`] : []),
  ];
}

function rateLine(name: string, r: Rate | null): string {
  if (r === null) return `  ${name}: none`;
  return `  ${name}: ${r.events} in ${r.seconds} s = ${r.perSecond.toFixed(1)}/s (peak ${r.peakPerSecond}/s)`;
}

// Long runs are folded into at most MAX_TIMELINE_ROWS rows of equal width.
function timelineRows(timeline: TimelinePoint[]): string[] {
  if (timeline.length === 0) return [];
  const width = Math.ceil(timeline.length / MAX_TIMELINE_ROWS);
  const rows: Array<Array<string | number>> = [];
  for (let i = 0; i < timeline.length; i += width) {
    const chunk = timeline.slice(i, i + width);
    const start = new Date(chunk[0].second * 1000).toISOString().slice(11, 19);
    rows.push([
      `${start} +${chunk.length}s`,
      chunk.reduce((s, p) => s + p.published, 0),
      chunk.reduce((s, p) => s + p.delivered, 0),
    ]);
  }
  return [`Timeline (UTC, ${width} s per row):`, ...table(["from", "published", "delivered"], rows)];
}

// k6's arrival-rate executors may start one iteration more or fewer than the
// schedule's area, so only a larger shortfall is worth a note.
function publishedOfPlanned(r: VerifyReport): string {
  const p = r.publish;
  if (p.planned === 0) return "";
  const why =
    r.ledger.phase === "ended"
      ? "iterations k6 dropped, see its dropped_iterations"
      : "throughput stopped before its schedule's end";
  const fewer = shortfall(p) > 0 ? ` (fewer: ${why})` : "";
  return `attempted ${p.attempted} of about ${p.planned} planned${fewer}; `;
}

// Where t0 is not the event's slot in the schedule, say so next to the latencies.
function scheduleNotes(r: VerifyReport): string[] {
  const p = r.publish;
  const notes: string[] = [];
  if (p.unscheduled > 0)
    notes.push(
      `  t0 of ${p.unscheduled} accepted event(s) is their iteration start: k6 started them past the end of the arrival schedule`,
    );
  if (r.ledger.phase === "ended" && shortfall(p) > 0)
    notes.push(
      `  k6 started ${shortfall(p)} fewer iterations than planned (dropped) and numbers only those it starts, so from the first drop on an event's t0 is earlier than its real slot: generator_lag and e2e overstate by up to the drops so far × the schedule's interval`,
    );
  return notes;
}

function latencyTable(stages: StageLatencies): string[] {
  return table(
    ["stage", "count", "mean", "p50", "p90", "p95", "p99", "max", "below 0"],
    STAGES.map((s) => {
      const l = stages[s];
      return [s, l.count, ms(l.meanMs), ms(l.p50Ms), ms(l.p90Ms), ms(l.p95Ms), ms(l.p99Ms), ms(l.maxMs), l.belowZero];
    }),
  );
}

function belowZeroNotes(stages: StageLatencies): string[] {
  return STAGES.filter((s) => stages[s].belowZero > 0).map(
    (s) =>
      `  ${s}: ${stages[s].belowZero} of ${stages[s].count} samples came out negative and count as 0 ms: ${NEGATIVE_MEANS[s]}`,
  );
}

// Where the receiver's latency shows, when a receiver held its answers.
function receiverNote(stages: StageLatencies): string[] {
  if ((stages.receiver.maxMs ?? 0) === 0) return [];
  return [
    "  receiver: how long the mock held its answer after the first byte (the receiver latency it applies); it comes after t3, so neither delivery (ta → t3) nor e2e (t0 → t3) contains it, but Outpost's delivery worker waits for it (the concurrency budget)",
  ];
}

function profileShape(p: RunProfile): string {
  return `${p.tenants} tenant(s) x ${p.destinationsPerTenant} destination(s), topic ${p.topic}, retry ${p.retry ? "on" : "off"}`;
}

function runLine(r: VerifyReport): string {
  const run = r.run;
  const shape =
    run.profiles.length === 1
      ? profileShape(run.profiles[0])
      : `${run.profiles.length} profiles (${run.profiles.map((p) => `${p.name}: ${profileShape(p)}`).join("; ")})`;
  return `Run: ${shape}; started ${iso(run.startedAtMs)}, ended ${iso(r.runEnd.endedAtMs)}; latency excludes events started before ${iso(run.warmupEndsAtMs)} (warm-up).`;
}

// A run of several profiles: each one's verdict, ledger, throughput and latency.
function profileSections(r: VerifyReport): string[] {
  if (r.profiles.length < 2) return [];
  const lines = [
    "",
    "Profiles (each judged on its own figures; accepted = delivered + missing + in flight + not routed, over its destinations):",
    ...table(
      PROFILE_COLUMNS,
      profileRows(r, (x) => (x === null ? "-" : percentText(x))),
    ),
  ];
  for (const p of r.profiles) {
    if (p.receiverChanged !== null)
      lines.push(`  ${profileLabel(p)}: receiver changed during the run to ${receiverText(p.receiverChanged)}`);
    if (!p.verdict.pass) lines.push(`  ${profileLabel(p)}: ${p.verdict.reasons.join("; ")}`);
  }
  for (const p of r.profiles)
    lines.push(
      "",
      `Latency per stage, profile ${profileLabel(p)}, ms:`,
      ...latencyTable(p.latency),
      ...belowZeroNotes(p.latency),
    );
  return lines;
}

export function renderText(result: VerifyResult): string {
  if (isLostRun(result)) return renderLostRun(result);
  const r = result;
  const v = r.verdict;
  const t = r.ledger.totals;
  const maxAttempts = r.ledger.maxAttempts;
  const lines: string[] = [
    `VERDICT: ${v.headline}`,
    `outpost-loadtest verify: run ${r.testId}`,
    `Run made ${r.against}.`,
    ...v.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`),
    "",
    runLine(r),
    budgetText(r),
    waitLine(r),
    "",
    `Publish: ${publishedOfPlanned(r)}accepted ${r.publish.accepted}, duplicate ${r.publish.duplicate}, rejected (status) ${counts(r.publish.rejected)}, errors ${counts(r.publish.errors)}${Object.keys(r.publish.other).length ? `, other ${counts(r.publish.other)}` : ""}.`,
    `Ledger (each destination: accepted = delivered + missing + in flight + not routed; delivered ${r.ledger.deliveredRatio === null ? "-" : percentText(r.ledger.deliveredRatio)}):`,
    ...destinationTable(r.ledger.destinations),
    `  total: accepted ${t.accepted} = delivered ${t.delivered} + missing ${t.missing} + in flight ${t.inFlight} + not routed ${t.notRouted}; duplicates ${t.duplicates}, unknown ${t.unknown}, delivered without publish ack ${t.deliveredUnacknowledged}, attempts ${t.attempts}`,
    ...ackUnrecordedRow(r),
    ...eventList("Missing (never delivered, no injected fault)", t.missing - t.missingAfterFault, r.ledger.missingIds),
    ...eventList(
      `Missing after an injected fault on every attempt (${maxAttempts === null ? "one attempt with RETRY=false, all OUTPOST_MAX_ATTEMPTS with RETRY=true" : maxAttempts === 1 ? "RETRY=false: Outpost makes one attempt" : `all ${maxAttempts} attempts, OUTPOST_MAX_ATTEMPTS`}), so Outpost gave up by design`,
      t.missingAfterFault,
      r.ledger.missingAfterFaultIds,
    ),
    ...eventList(
      maxAttempts === 0
        ? "In flight at cutoff (an injected fault, not delivered yet; OUTPOST_MAX_ATTEMPTS=0, so these may include used-up retries)"
        : "In flight at cutoff (an injected fault, not delivered yet, Outpost has attempts left)",
      t.inFlight,
      r.ledger.inFlightIds,
    ),
    ...(r.ledger.exhaustedSplitSkipped.length > 0
      ? [
          `  destinations ${r.ledger.exhaustedSplitSkipped.join(", ")}: over ${EXHAUSTED_SPLIT_LIMIT} undelivered faulted events, not told apart; their in-flight count may include used-up retries`,
        ]
      : []),
    `Injected faults (attempts by kind): ${counts(t.faults)}; events hit: ${t.faultedEvents}, of which not delivered: ${t.inFlight + t.missingAfterFault}.`,
    `Signatures (attempts): ${counts(t.signatures)}.`,
    "",
    `Latency per stage, ms (${r.latency.precision.statement}):`,
    ...latencyTable(r.latency.stages),
    ...belowZeroNotes(r.latency.stages),
    ...receiverNote(r.latency.stages),
    ...scheduleNotes(r),
    "",
    "Throughput (whole epoch seconds from first to last event):",
    rateLine("published (accepted)", r.throughput.published),
    rateLine("delivered (first deliveries)", r.throughput.delivered),
    ...timelineRows(r.timeline),
    ...profileSections(r),
  ];
  return `${lines.join("\n")}\n`;
}
