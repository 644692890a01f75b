import exec from "k6/execution";
import { Counter, Trend } from "k6/metrics";
import { k6Clock } from "../adapters/k6/clock";
import { K6HttpPort, requestBlocking } from "../adapters/k6/http";
import { K6RedisPort } from "../adapters/k6/redis";
import { generateTestId } from "../src/config/common-settings";
import { redactUrl } from "../src/config/env";
import { settingsFromEnv } from "../src/config/presets";
import { readThroughputSettings } from "../src/config/throughput-settings";
import { OutpostClient } from "../src/outpost/client";
import { targetText } from "../src/outpost/target";
import { checkBudget } from "../src/publish/budget-check";
import { type ArrivalRateScenario, plannedEvents, scenarioForLoad } from "../src/publish/load-profile";
import { createPayloadFactory } from "../src/publish/payload";
import { preflight } from "../src/publish/preflight";
import { provisionRun } from "../src/publish/provision";
import { arrivalOffsetMs } from "../src/publish/schedule";
import {
  eventOutcome,
  eventRequest,
  type PublishDeps,
  type PublishProfile,
  type PublishRun,
  publishRunOf,
} from "../src/publish/publish-event";
import {
  holdOffsetMs,
  mayBeLastIteration,
  PublishLog,
  RunStateWriteError,
  runStateLostLine,
} from "../src/publish/publish-log";
import { METRICS, scenarioName, throughputOptions } from "../src/publish/throughput-options";
import { layoutProfiles, tenantId } from "../src/runstate/identity";
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
// Each profile's k6 scenario, by scenario name: its arrival schedule gives t0,
// and past holdOffset (ms from the scenario's start) a VU may not run again, so
// it writes its publish outcomes before each iteration ends (PublishLog).
interface ScenarioPlan {
  schedule: ArrivalRateScenario;
  holdOffset: number;
}
const plans = new Map<string, ScenarioPlan>(
  loaded.ok
    ? loaded.settings.profiles.map((p) => {
        const schedule = scenarioForLoad(p.load);
        return [scenarioName(p), { schedule, holdOffset: holdOffsetMs(schedule, schedule.maxVUs) }];
      })
    : [],
);
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
      probeTenantId: tenantId(testId, layoutProfiles(s.profiles)[0], 0),
      redis,
      redisUrl: s.redisUrl,
    });
    for (const w of warnings) console.warn(w);
    // Before any tenant exists: an over-budget run stops here.
    const { budget, line } = await checkBudget(http, s);
    if (budget?.within === false) console.warn(line);
    else console.log(line);
    const store = new RunStateStore(redis, testId, s.runTtlSeconds);
    const { record, created } = await provisionRun({ outpost, store, clock: k6Clock }, s, testId, budget);
    const how = created ? "provisioned" : "joined (already provisioned)";
    const shapes = s.profiles.map(
      (p) =>
        `${p.name === "" ? "" : `${p.name}: `}${p.tenants} tenants x ${p.destinationsPerTenant} destinations, ` +
        `${p.load.profile} profile, about ${plannedEvents(scenarioForLoad(p.load))} events`,
    );
    console.log(`TEST_ID=${testId} ${how}: ${shapes.join("; ")}, ${targetText(record.target, record.outpostUrl)}`);
    return { run: publishRunOf(record) };
  } catch (err) {
    return abort(`setup failed for TEST_ID=${testId}: ${(err as Error)?.message ?? String(err)}`);
  }
}

// What a VU keeps for a profile it publishes for (a VU may serve one profile's
// scenario after another's has ended).
interface VuProfile {
  profile: PublishProfile;
  plan: ScenarioPlan | undefined;
  log: PublishLog;
  // exec.scenario.startTime, the same for every iteration of the scenario: read once.
  startTime: number | undefined;
}

interface VuState {
  run: PublishRun;
  deps: PublishDeps;
  store: RunStateStore;
  // By k6 scenario name.
  profiles: Map<string, VuProfile>;
  // The run's only profile, when it has one: every iteration is its scenario's.
  only: VuProfile | undefined;
}

// Per VU, made at its first iteration (setup's data is not there before).
let vu: VuState | null = null;

function vuState(data: SetupData): VuState {
  if (!loaded.ok || redis === null) throw new Error("unreachable: setup aborts on a bad configuration");
  const s = loaded.settings;
  // k6 hands each VU setup's data as Go values (internal/js/runner.go, RunOnce:
  // Runtime.ToValue of the unmarshalled JSON): every property read of them
  // crosses into Go and wraps the result anew. A plain copy reads like any object.
  const run = JSON.parse(JSON.stringify(data.run)) as PublishRun;
  const createdAt = new Date(run.startedAtMs).toISOString();
  const payloads = run.profiles.map((p) => createPayloadFactory(p.payloadBytes, createdAt));
  const state: VuState = {
    run,
    deps: {
      outpost: new OutpostClient(http, s.outpostUrl, s.outpostApiKey, s.publishTimeoutMs),
      payload: (profile, seq) => payloads[profile](seq),
    },
    store: new RunStateStore(redis, run.testId, s.runTtlSeconds),
    profiles: new Map(),
    only: undefined,
  };
  if (run.profiles.length === 1) state.only = vuProfile(state, scenarioName(run.profiles[0]));
  return state;
}

function vuProfile(state: VuState, scenario: string): VuProfile {
  let p = state.profiles.get(scenario);
  if (p === undefined) {
    const profile = state.run.profiles.find((x) => scenarioName(x) === scenario);
    if (profile === undefined) return abort(`no traffic profile runs as k6 scenario ${scenario}`);
    p = {
      profile,
      plan: plans.get(scenario),
      log: new PublishLog(state.store, state.run, profile),
      startTime: undefined,
    };
    state.profiles.set(scenario, p);
  }
  return p;
}

// The first failed run-state write stops the test: the ledger could no longer
// account for what Outpost accepts, so publishing on would only load Outpost.
function stopOnLostRunState(err: unknown): never {
  if (err instanceof RunStateWriteError && loaded.ok)
    return abort(runStateLostLine(err, redactUrl(loaded.settings.redisUrl)));
  throw err;
}

// Every profile's scenario runs this; the scenario's name picks the profile, and
// its own iteration counter numbers the profile's events (it starts at 0 in each
// scenario, so event ids carry the profile). t0 is the event's slot in the
// arrival schedule (k6's own formula), so k6's lag in starting the iteration
// counts in end-to-end latency instead of hiding (coordinated omission); the
// lag itself is a stage of its own.
// Not async: an iteration that only keeps its outcome in the VU's PublishLog
// runs without a promise (each costs k6 microseconds per event); one that
// writes the log returns that write, which k6 waits for.
export default function (data: SetupData): Promise<void> | undefined {
  const startedMs = k6Clock.now();
  // k6 builds a new object on every read of exec.scenario, and each field read
  // crosses into Go: read it once, and only the fields that change.
  const scenario = exec.scenario;
  vu ??= vuState(data);
  const p = vu.only ?? vuProfile(vu, scenario.name);
  const { profile, plan, log } = p;
  const seq = scenario.iterationInTest;
  p.startTime ??= scenario.startTime;
  const startTime = p.startTime;
  const offset = plan === undefined ? null : arrivalOffsetMs(plan.schedule, seq);
  const timing = { scheduledMs: offset === null ? null : startTime + offset, startedMs };
  const res = requestBlocking(eventRequest(vu.deps, vu.run, profile, seq, timing));
  const nowMs = k6Clock.now();
  const outcome = eventOutcome(vu.run, profile, seq, timing, res, nowMs);
  if (timing.scheduledMs !== null) generatorLag.add(startedMs - timing.scheduledMs);
  latency.add(outcome.latencyMs, { verdict: outcome.verdict });
  if (outcome.verdict === "accepted") accepted.add(1);
  else if (outcome.verdict === "duplicate") duplicate.add(1);
  else rejected.add(1, { reason: outcome.reason ?? outcome.verdict });
  if (outcome.routingMismatch) routingMismatch.add(1);
  const last =
    plan === undefined || timing.scheduledMs === null || mayBeLastIteration(plan.holdOffset, startTime, nowMs);
  if (log.add(outcome.record, nowMs, last)) return log.flush().catch(stopOnLostRunState);
  return undefined;
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
    counts = await store.publishCounters(run.profiles);
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
