import { type CommonSettings, readCommonSettings, readTestId } from "./common-settings";
import {
  type Env,
  fail,
  formatDuration,
  readBool,
  readDurationMs,
  readEnum,
  readInt,
  readSecret,
  readString,
  readUrl,
  redactUrl,
} from "./env";

export const PROFILES = ["constant", "ramp", "spike", "soak", "step"] as const;
export type Profile = (typeof PROFILES)[number];

// Outpost refuses more destinations per tenant (MAX_DESTINATIONS_PER_TENANT, default 20).
export const MAX_DESTINATIONS_PER_TENANT = 20;
const MAX_RATE = 100_000;
// Default VUs per event/s: pre-allocated, and the most k6 may add during the run.
const PRE_ALLOCATED_VUS_SECONDS = 0.5;
const MAX_VUS_SECONDS = 2;
const DAY_MS = 24 * 3_600_000;

export interface LoadSettings {
  profile: Profile;
  // Events per second at the plateau.
  rate: number;
  durationMs: number;
  // Latency samples of events started inside this window are not recorded.
  warmupMs: number;
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

export interface ThroughputSettings extends CommonSettings {
  // null: setup generates one.
  testId: string | null;
  preset: string | null;
  outpostUrl: string;
  outpostApiKey: string;
  mockUrl: string;
  // Where Outpost reaches the mock; differs from MOCK_URL when Outpost runs elsewhere.
  mockDestinationUrl: string;
  tenants: number;
  destinationsPerTenant: number;
  topic: string;
  retry: boolean;
  payloadBytes: number;
  publishTimeoutMs: number;
  provisionConcurrency: number;
  load: LoadSettings;
  thresholds: ThresholdSettings;
}

function readLoad(env: Env): LoadSettings {
  const profile = readEnum(env, "PROFILE", "constant", PROFILES);
  const rate = readInt(env, "RATE", 10, 1, MAX_RATE);
  const durationMs = readDurationMs(env, "DURATION", "30s", 1000, 30 * DAY_MS);
  const warmupMs = readDurationMs(env, "WARMUP", "0s", 0, 30 * DAY_MS);
  if (warmupMs >= durationMs)
    fail("WARMUP", env.WARMUP ?? "", `a duration shorter than DURATION (${formatDuration(durationMs)})`);
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
  const peak = profile === "spike" ? Math.max(rate, spikeRate) : Math.max(rate, startRate);
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
    warmupMs,
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

// Reads and validates every throughput setting; the first bad one throws a
// ConfigError naming it. Apply the preset (applyPreset) before calling this.
export function readThroughputSettings(env: Env): ThroughputSettings {
  const mockUrl = readUrl(env, "MOCK_URL", "http://127.0.0.1:48080");
  return {
    ...readCommonSettings(env),
    testId: readTestId(env),
    preset: env.PRESET?.trim() || null,
    outpostUrl: readUrl(env, "OUTPOST_URL", "http://127.0.0.1:3333"),
    outpostApiKey: readSecret(env, "OUTPOST_API_KEY", "", /^[\x21-\x7e]*$/, "printable ASCII without spaces"),
    mockUrl,
    mockDestinationUrl: readUrl(env, "MOCK_DESTINATION_URL", mockUrl),
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
    publishTimeoutMs: readDurationMs(env, "PUBLISH_TIMEOUT", "10s", 100, 300_000),
    provisionConcurrency: readInt(env, "PROVISION_CONCURRENCY", 8, 1, 64),
    load: readLoad(env),
    thresholds: readThresholds(env),
  };
}

// The effective settings without secrets, for the run record and the console.
export function publicThroughputSettings(s: ThroughputSettings): Record<string, string | number | boolean> {
  const l = s.load;
  return {
    PRESET: s.preset ?? "",
    OUTPOST_URL: redactUrl(s.outpostUrl),
    MOCK_URL: redactUrl(s.mockUrl),
    MOCK_DESTINATION_URL: redactUrl(s.mockDestinationUrl),
    REDIS_URL: redactUrl(s.redisUrl),
    RUN_TTL: formatDuration(s.runTtlSeconds * 1000),
    TENANTS: s.tenants,
    DESTINATIONS_PER_TENANT: s.destinationsPerTenant,
    TOPIC: s.topic,
    RETRY: s.retry,
    PAYLOAD_BYTES: s.payloadBytes,
    PUBLISH_TIMEOUT: formatDuration(s.publishTimeoutMs),
    PROFILE: l.profile,
    RATE: l.rate,
    DURATION: formatDuration(l.durationMs),
    WARMUP: formatDuration(l.warmupMs),
    START_RATE: l.startRate,
    RAMP_UP: formatDuration(l.rampUpMs),
    SPIKE_RATE: l.spikeRate,
    SPIKE_DURATION: formatDuration(l.spikeMs),
    STEPS: l.steps,
    PRE_ALLOCATED_VUS: l.preAllocatedVUs,
    MAX_VUS: l.maxVUs,
  };
}
