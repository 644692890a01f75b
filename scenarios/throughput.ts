import exec from "k6/execution";
import { Counter, Trend } from "k6/metrics";
import { k6Clock } from "../adapters/k6/clock";
import { K6HttpPort } from "../adapters/k6/http";
import { K6RedisPort } from "../adapters/k6/redis";
import { generateTestId } from "../src/config/common-settings";
import { redactUrl } from "../src/config/env";
import { settingsFromEnv } from "../src/config/presets";
import { readThroughputSettings } from "../src/config/throughput-settings";
import { OutpostClient } from "../src/outpost/client";
import { targetText } from "../src/outpost/target";
import { plannedEvents, scenarioForLoad } from "../src/publish/load-profile";
import { createPayloadFactory } from "../src/publish/payload";
import { preflight } from "../src/publish/preflight";
import { provisionRun } from "../src/publish/provision";
import { arrivalOffsetMs } from "../src/publish/schedule";
import {
  type EventOutcome,
  type EventTiming,
  type PublishDeps,
  type PublishRun,
  publishEvent,
  publishRunOf,
  RunStateWriteError,
  runStateLostLine,
} from "../src/publish/publish-event";
import { METRICS, throughputOptions } from "../src/publish/throughput-options";
import { tenantId } from "../src/runstate/identity";
import { scheduleCompletedBy } from "../src/runstate/record";
import { RunStateStore } from "../src/runstate/store";
import { PRESETS } from "./presets/index";

// k6 entry point: wiring only; the logic lives in src/.

const loaded = settingsFromEnv(__ENV, PRESETS, readThroughputSettings);

// A bad setting still needs options: one idle iteration, and setup aborts with the error.
export const options = loaded.ok
  ? throughputOptions(loaded.settings)
  : { scenarios: { invalid_configuration: { executor: "shared-iterations", vus: 1, iterations: 1 } } };

const http = new K6HttpPort();
// k6 creates module clients in the init context; the connection opens on first use.
const redis = loaded.ok ? new K6RedisPort(loaded.settings.redisUrl) : null;

const latency = new Trend(METRICS.latency, true);
const generatorLag = new Trend(METRICS.generatorLag, true);
const schedule = loaded.ok ? scenarioForLoad(loaded.settings.load) : null;
const accepted = new Counter(METRICS.accepted);
const rejected = new Counter(METRICS.rejected);
const duplicate = new Counter(METRICS.duplicate);
const routingMismatch = new Counter(METRICS.routingMismatch);

interface SetupData {
  run: PublishRun;
}

function abort(message: string): never {
  exec.test.abort(message);
  throw new Error(message);
}

export async function setup(): Promise<SetupData> {
  if (!loaded.ok || redis === null) return abort(loaded.ok ? "no Redis client" : loaded.error);
  const s = loaded.settings;
  const testId = s.testId ?? generateTestId(Date.now(), Math.random);
  const outpost = new OutpostClient(http, s.outpostUrl, s.outpostApiKey, s.publishTimeoutMs);
  try {
    const warnings = await preflight({
      outpost,
      http,
      mockUrl: s.mockUrl,
      probeTenantId: tenantId(testId, 0),
      redis,
      redisUrl: s.redisUrl,
    });
    for (const w of warnings) console.warn(w);
    const store = new RunStateStore(redis, testId, s.runTtlSeconds);
    const { record, created } = await provisionRun({ outpost, store, clock: k6Clock }, s, testId);
    const how = created ? "provisioned" : "joined (already provisioned)";
    console.log(
      `TEST_ID=${testId} ${how}: ${s.tenants} tenants x ${s.destinationsPerTenant} destinations, ` +
        `${s.load.profile} profile, about ${plannedEvents(scenarioForLoad(s.load))} events, ` +
        targetText(record.target, record.outpostUrl),
    );
    return { run: publishRunOf(record) };
  } catch (err) {
    return abort(`setup failed for TEST_ID=${testId}: ${(err as Error)?.message ?? String(err)}`);
  }
}

let deps: PublishDeps | null = null;

function publishDeps(run: PublishRun): PublishDeps {
  if (!loaded.ok || redis === null) throw new Error("unreachable: setup aborts on a bad configuration");
  const s = loaded.settings;
  return {
    outpost: new OutpostClient(http, s.outpostUrl, s.outpostApiKey, s.publishTimeoutMs),
    store: new RunStateStore(redis, run.testId, s.runTtlSeconds),
    clock: k6Clock,
    payload: createPayloadFactory(s.payloadBytes, new Date(run.startedAtMs).toISOString()),
  };
}

// The first failed run-state write stops the test: the ledger could no longer
// account for what Outpost accepts, so publishing on would only load Outpost.
async function publishOrStop(d: PublishDeps, run: PublishRun, seq: number, timing: EventTiming): Promise<EventOutcome> {
  try {
    return await publishEvent(d, run, seq, timing);
  } catch (err) {
    if (err instanceof RunStateWriteError && loaded.ok)
      return abort(runStateLostLine(err, redactUrl(loaded.settings.redisUrl)));
    throw err;
  }
}

// t0 is the event's slot in the arrival schedule (k6's own formula), so k6's
// lag in starting the iteration counts in end-to-end latency instead of
// hiding (coordinated omission); the lag itself is a stage of its own.
export default async function (data: SetupData): Promise<void> {
  const startedMs = k6Clock.now();
  const seq = exec.scenario.iterationInTest;
  const offset = schedule === null ? null : arrivalOffsetMs(schedule, seq);
  const scheduledMs = offset === null ? null : exec.scenario.startTime + offset;
  deps ??= publishDeps(data.run);
  const outcome = await publishOrStop(deps, data.run, seq, { scheduledMs, startedMs });
  if (scheduledMs !== null) generatorLag.add(startedMs - scheduledMs);
  latency.add(outcome.latencyMs, { verdict: outcome.verdict });
  if (outcome.verdict === "accepted") accepted.add(1);
  else if (outcome.verdict === "duplicate") duplicate.add(1);
  else rejected.add(1, { reason: outcome.reason ?? outcome.verdict });
  if (outcome.routingMismatch) routingMismatch.add(1);
}

// k6 runs teardown after the last iteration, and also after Ctrl-C and
// exec.test.abort (internal/execution/scheduler.go runs it with the global
// context): the time tells whether the schedule was completed.
export async function teardown(data: SetupData): Promise<void> {
  if (!loaded.ok || redis === null || !data?.run) return;
  const run = data.run;
  const store = new RunStateStore(redis, run.testId, loaded.settings.runTtlSeconds);
  const now = Date.now();
  const completed = scheduleCompletedBy(run, now);
  let counts: Record<string, number>;
  try {
    await store.markRunEnded(now, completed);
    counts = await store.counters(store.keys.publish);
  } catch (err) {
    // After a run-state failure the test already stopped with its one line.
    console.warn(`TEST_ID=${run.testId}: the run's end was not recorded: ${(err as Error)?.message ?? String(err)}`);
    return;
  }
  const cut = completed
    ? ""
    : `, cut short ${((run.plannedEndMs - now) / 1000).toFixed(1)} s before its planned end (verify will say INCOMPLETE (cut short) unless VERIFY_ALLOW_PARTIAL=true)`;
  console.log(
    `TEST_ID=${run.testId} ended${cut}; publish counts ${JSON.stringify(counts)} of about ${run.plannedEvents} planned; now run verify with TEST_ID=${run.testId}`,
  );
}
