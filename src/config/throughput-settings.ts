import type { BudgetSettings } from "../budget/concurrency-budget";
import { type FaultConfig, faultsFromObject, NO_FAULTS } from "../receiver/faults";
import { PROFILE_NAME_ACCEPTS, PROFILE_NAME_PATTERN } from "../runstate/identity";
import { type CommonSettings, readCommonSettings, readTestId } from "./common-settings";
import {
  ConfigError,
  type Env,
  fail,
  formatDuration,
  readBool,
  readDurationMs,
  readEnum,
  readInt,
  readNumber,
  readSecret,
  readString,
  readUrl,
  redactUrl,
} from "./env";
import type { ProfileEnv } from "./presets";

export const PROFILES = ["constant", "ramp", "spike", "soak", "step"] as const;
export type Profile = (typeof PROFILES)[number];

// Outpost refuses more destinations per tenant (MAX_DESTINATIONS_PER_TENANT, default 20).
export const MAX_DESTINATIONS_PER_TENANT = 20;
const MAX_RATE = 100_000;
// Default VUs per event/s: pre-allocated, and the most k6 may add during the run.
const PRE_ALLOCATED_VUS_SECONDS = 0.5;
const MAX_VUS_SECONDS = 2;
const DAY_MS = 24 * 3_600_000;
// Outpost's time per delivery attempt besides the receiver's answer: Outpost
// v1.2.0 with DELIVERY_MAX_CONCURRENCY=1 drained a burst at one delivery per
// hold + 7.7 to 10.7 ms on a shared 2-core VM (npm run bench:delivery-overhead;
// docs/loadtest.md, the concurrency budget).
export const DEFAULT_DELIVERY_OVERHEAD = "10ms";

export interface LoadSettings {
  profile: Profile;
  // Events per second at the plateau.
  rate: number;
  durationMs: number;
  // ramp and soak: the rate at the start, reached RATE after rampUpMs.
  startRate: number;
  rampUpMs: number;
  spikeRate: number;
  spikeMs: number;
  steps: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

// 0 (latency) or -1 (counts) switches a threshold off.
export interface ThresholdSettings {
  publishP95Ms: number;
  publishP99Ms: number;
  maxRejected: number;
  maxDuplicates: number;
  maxDropped: number;
}

// One kind of traffic: its own tenants, destinations, load shape (a k6
// scenario of its own), payload, topic, retry and receiver behaviour.
export interface ProfileSettings {
  // "" for the one profile of a run configured by the environment alone.
  name: string;
  tenants: number;
  destinationsPerTenant: number;
  topic: string;
  retry: boolean;
  payloadBytes: number;
  load: LoadSettings;
  // What the mock does for this profile's destinations; null: the mock's own faults.
  receiver: FaultConfig | null;
}

// The variables a preset profile may set: everything else is run-wide.
export const PROFILE_VARIABLES = [
  "TENANTS",
  "DESTINATIONS_PER_TENANT",
  "TOPIC",
  "RETRY",
  "PAYLOAD_BYTES",
  "PROFILE",
  "RATE",
  "DURATION",
  "START_RATE",
  "RAMP_UP",
  "SPIKE_RATE",
  "SPIKE_DURATION",
  "STEPS",
  "PRE_ALLOCATED_VUS",
  "MAX_VUS",
] as const;

export interface ThroughputSettings extends CommonSettings {
  // null: setup generates one.
  testId: string | null;
  preset: string | null;
  outpostUrl: string;
  outpostApiKey: string;
  mockUrl: string;
  // Where Outpost reaches the mock; differs from MOCK_URL when Outpost runs elsewhere.
  mockDestinationUrl: string;
  publishTimeoutMs: number;
  provisionConcurrency: number;
  // Latency samples of events whose t0 falls inside this first window are not recorded.
  warmupMs: number;
  // At least one; tenants and destinations are numbered across them in this order.
  profiles: ProfileSettings[];
  budget: BudgetSettings;
  thresholds: ThresholdSettings;
}

function readLoad(env: Env): LoadSettings {
  const profile = readEnum(env, "PROFILE", "constant", PROFILES);
  const rate = readInt(env, "RATE", 10, 1, MAX_RATE);
  const durationMs = readDurationMs(env, "DURATION", "30s", 1000, 30 * DAY_MS);
  const startRate = readInt(env, "START_RATE", 0, 0, MAX_RATE);
  const defaultRampUp = profile === "soak" ? durationMs / 10 : durationMs / 2;
  const rampUpMs = readDurationMs(env, "RAMP_UP", formatDuration(Math.round(defaultRampUp)), 0, durationMs);
  const spikeRate = readInt(env, "SPIKE_RATE", Math.min(MAX_RATE, rate * 5), 1, MAX_RATE);
  // The spike needs a 1s edge up and a 1s edge down inside DURATION.
  const spikeMaxMs = Math.max(1000, durationMs - 2000);
  const spikeMs = readDurationMs(env, "SPIKE_DURATION", formatDuration(Math.min(10_000, spikeMaxMs)), 1000, spikeMaxMs);
  if (profile === "spike" && durationMs < spikeMs + 2000)
    fail(
      "DURATION",
      formatDuration(durationMs),
      `at least ${formatDuration(spikeMs + 2000)} for SPIKE_DURATION=${formatDuration(spikeMs)}`,
    );
  // Each step holds at least 2s, its first second being the edge from the step below.
  const steps = readInt(
    env,
    "STEPS",
    Math.min(4, Math.max(2, Math.floor(durationMs / 2000))),
    2,
    Math.max(2, Math.min(100, Math.floor(durationMs / 2000))),
  );
  if (profile === "step" && durationMs / steps < 2000)
    fail("DURATION", formatDuration(durationMs), `at least ${formatDuration(steps * 2000)} for STEPS=${steps}`);
  const peak = peakRate({ profile, rate, startRate, spikeRate });
  // An iteration holds its VU for one publish round trip plus one Redis script,
  // so a rate needs rate × publish latency VUs (Little's law). k6 drops the
  // iterations due while it initialises a VU it lacks, so the pre-allocation
  // alone covers publish latencies up to PRE_ALLOCATED_VUS_SECONDS (Outpost
  // v1.2.0 answered in 61-117 ms at p99 on a shared 2-core machine, and over
  // 500 ms at p95 when starved), with headroom to MAX_VUS_SECONDS. A VU of this
  // bundle costs k6 about 0.44 MiB (npm run bench:vu-sizing).
  const preAllocatedVUs = readInt(
    env,
    "PRE_ALLOCATED_VUS",
    Math.max(10, Math.ceil(peak * PRE_ALLOCATED_VUS_SECONDS)),
    1,
    1_000_000,
  );
  const maxVUs = readInt(env, "MAX_VUS", Math.max(preAllocatedVUs, Math.ceil(peak * MAX_VUS_SECONDS)), 1, 1_000_000);
  if (maxVUs < preAllocatedVUs)
    fail("MAX_VUS", String(maxVUs), `an integer of at least PRE_ALLOCATED_VUS (${preAllocatedVUs})`);
  return {
    profile,
    rate,
    durationMs,
    startRate,
    rampUpMs,
    spikeRate,
    spikeMs,
    steps,
    preAllocatedVUs,
    maxVUs,
  };
}

function readThresholds(env: Env): ThresholdSettings {
  return {
    publishP95Ms: readInt(env, "THRESHOLD_PUBLISH_P95_MS", 1000, 0, 600_000),
    publishP99Ms: readInt(env, "THRESHOLD_PUBLISH_P99_MS", 0, 0, 600_000),
    maxRejected: readInt(env, "THRESHOLD_MAX_REJECTED", 0, -1, Number.MAX_SAFE_INTEGER),
    maxDuplicates: readInt(env, "THRESHOLD_MAX_DUPLICATES", 0, -1, Number.MAX_SAFE_INTEGER),
    maxDropped: readInt(env, "THRESHOLD_MAX_DROPPED", 0, -1, Number.MAX_SAFE_INTEGER),
  };
}

function readProfile(env: Env, name: string, receiver: FaultConfig | null): ProfileSettings {
  return {
    name,
    tenants: readInt(env, "TENANTS", 1, 1, 100_000),
    destinationsPerTenant: readInt(env, "DESTINATIONS_PER_TENANT", 1, 1, MAX_DESTINATIONS_PER_TENANT),
    topic: readString(
      env,
      "TOPIC",
      "loadtest.event",
      /^[A-Za-z0-9._:/-]{1,128}$/,
      "1 to 128 letters, digits or . _ : / -",
    ),
    retry: readBool(env, "RETRY", false),
    payloadBytes: readInt(env, "PAYLOAD_BYTES", 1024, 64, 1_048_576),
    load: readLoad(env),
    receiver,
  };
}

// A preset's profile, its errors prefixed with where they come from.
function readPresetProfile(preset: string | null, p: ProfileEnv, taken: Set<string>): ProfileSettings {
  const where = `PRESET=${preset ?? ""} profile ${JSON.stringify(p.name)}`;
  if (typeof p.name !== "string" || !PROFILE_NAME_PATTERN.test(p.name))
    throw new ConfigError(`${where}: the name is invalid: expected ${PROFILE_NAME_ACCEPTS}`);
  if (taken.has(p.name)) throw new ConfigError(`${where}: the name is taken: expected a name of its own`);
  taken.add(p.name);
  const allowed: readonly string[] = PROFILE_VARIABLES;
  const stray = p.own.find((k) => !allowed.includes(k));
  if (stray !== undefined)
    throw new ConfigError(
      `${where}: ${stray} is not a profile setting: expected one of ${PROFILE_VARIABLES.join(", ")}`,
    );
  try {
    const receiver = p.receiver === null ? null : faultsFromObject(p.receiver, NO_FAULTS, "receiver");
    return readProfile(p.env, p.name, receiver);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${where}: ${err.message}`);
    throw err;
  }
}

function readProfiles(env: Env, preset: string | null, profiles: ProfileEnv[] | null): ProfileSettings[] {
  if (profiles === null) return [readProfile(env, "", null)];
  if (profiles.length === 0) throw new ConfigError(`PRESET=${preset ?? ""} is invalid: its profiles list is empty`);
  const taken = new Set<string>();
  return profiles.map((p) => readPresetProfile(preset, p, taken));
}

function readWarmup(env: Env, profiles: ProfileSettings[]): number {
  const warmupMs = readDurationMs(env, "WARMUP", "0s", 0, 30 * DAY_MS);
  const shortest = profiles.reduce((a, b) => (b.load.durationMs < a.load.durationMs ? b : a));
  if (warmupMs >= shortest.load.durationMs) {
    const of = shortest.name === "" ? "" : ` of profile ${shortest.name}`;
    fail(
      "WARMUP",
      env.WARMUP ?? "",
      `a duration shorter than DURATION${of} (${formatDuration(shortest.load.durationMs)})`,
    );
  }
  return warmupMs;
}

function readBudget(env: Env): BudgetSettings {
  const concurrency = readInt(env, "OUTPOST_DELIVERY_CONCURRENCY", 0, 1, 10_000_000);
  return {
    deliveryConcurrency: concurrency === 0 ? null : concurrency,
    tolerance: readNumber(env, "BUDGET_TOLERANCE", 0.8, 0.01, 10),
    check: readEnum(env, "BUDGET_CHECK", "on", ["on", "off"]) === "on",
    overheadMs: readDurationMs(env, "BUDGET_DELIVERY_OVERHEAD", DEFAULT_DELIVERY_OVERHEAD, 0, 60_000),
    // Outpost's default: 1 + MAX_RETRY_LIMIT (10); verify reads the same variable.
    maxAttempts: readInt(env, "OUTPOST_MAX_ATTEMPTS", 11, 1, 15),
  };
}

// Reads and validates every throughput setting; the first bad one throws a
// ConfigError naming it. Apply the preset (applyPreset) first: profiles are
// its traffic profiles, or null for one profile from the environment alone.
export function readThroughputSettings(env: Env, presetProfiles: ProfileEnv[] | null = null): ThroughputSettings {
  const mockUrl = readUrl(env, "MOCK_URL", "http://127.0.0.1:48080");
  const preset = env.PRESET?.trim() || null;
  const profiles = readProfiles(env, preset, presetProfiles);
  return {
    ...readCommonSettings(env),
    testId: readTestId(env),
    preset,
    outpostUrl: readUrl(env, "OUTPOST_URL", "http://127.0.0.1:3333"),
    outpostApiKey: readSecret(env, "OUTPOST_API_KEY", "", /^[\x21-\x7e]*$/, "printable ASCII without spaces"),
    mockUrl,
    mockDestinationUrl: readUrl(env, "MOCK_DESTINATION_URL", mockUrl),
    publishTimeoutMs: readDurationMs(env, "PUBLISH_TIMEOUT", "10s", 100, 300_000),
    provisionConcurrency: readInt(env, "PROVISION_CONCURRENCY", 8, 1, 64),
    warmupMs: readWarmup(env, profiles),
    profiles,
    budget: readBudget(env),
    thresholds: readThresholds(env),
  };
}

function publicProfileSettings(p: ProfileSettings): Record<string, string | number | boolean> {
  const l = p.load;
  return {
    TENANTS: p.tenants,
    DESTINATIONS_PER_TENANT: p.destinationsPerTenant,
    TOPIC: p.topic,
    RETRY: p.retry,
    PAYLOAD_BYTES: p.payloadBytes,
    PROFILE: l.profile,
    RATE: l.rate,
    DURATION: formatDuration(l.durationMs),
    START_RATE: l.startRate,
    RAMP_UP: formatDuration(l.rampUpMs),
    SPIKE_RATE: l.spikeRate,
    SPIKE_DURATION: formatDuration(l.spikeMs),
    STEPS: l.steps,
    PRE_ALLOCATED_VUS: l.preAllocatedVUs,
    MAX_VUS: l.maxVUs,
  };
}

// The effective settings without secrets, for the run record and the console:
// a named profile's own settings appear as <profile>.<VARIABLE>.
export function publicThroughputSettings(s: ThroughputSettings): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {
    PRESET: s.preset ?? "",
    OUTPOST_URL: redactUrl(s.outpostUrl),
    MOCK_URL: redactUrl(s.mockUrl),
    MOCK_DESTINATION_URL: redactUrl(s.mockDestinationUrl),
    REDIS_URL: redactUrl(s.redisUrl),
    RUN_TTL: formatDuration(s.runTtlSeconds * 1000),
    PUBLISH_TIMEOUT: formatDuration(s.publishTimeoutMs),
    WARMUP: formatDuration(s.warmupMs),
    OUTPOST_DELIVERY_CONCURRENCY: s.budget.deliveryConcurrency ?? "",
    BUDGET_TOLERANCE: s.budget.tolerance,
    BUDGET_CHECK: s.budget.check ? "on" : "off",
    BUDGET_DELIVERY_OVERHEAD: formatDuration(s.budget.overheadMs),
  };
  for (const p of s.profiles)
    for (const [k, v] of Object.entries(publicProfileSettings(p))) out[p.name === "" ? k : `${p.name}.${k}`] = v;
  return out;
}

// The peak events/s of a load shape: what the VUs and the concurrency budget are sized for.
export function peakRate(l: Pick<LoadSettings, "profile" | "rate" | "startRate" | "spikeRate">): number {
  return l.profile === "spike" ? Math.max(l.rate, l.spikeRate) : Math.max(l.rate, l.startRate);
}
