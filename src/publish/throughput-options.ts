import { formatDuration } from "../config/env";
import type { ThroughputSettings } from "../config/throughput-settings";
import { destinationCount, tenantCount } from "../runstate/identity";
import { type ArrivalRateScenario, scenarioForLoad } from "./load-profile";

// k6 metric names the throughput scenario emits.
export const METRICS = {
  latency: "publish_latency",
  // Iteration start minus the event's scheduled time.
  generatorLag: "publish_generator_lag",
  accepted: "publish_accepted",
  rejected: "publish_rejected",
  duplicate: "publish_duplicate",
  routingMismatch: "publish_routing_mismatch",
} as const;

export interface ThroughputOptions {
  // One scenario per traffic profile, each with its own arrival-rate executor.
  scenarios: Record<string, ArrivalRateScenario>;
  thresholds: Record<string, string[]>;
  setupTimeout: string;
  summaryTrendStats: string[];
}

function countAtMost(max: number): string[] {
  return max < 0 ? [] : [`count<=${max}`];
}

export function throughputThresholds(s: ThroughputSettings): Record<string, string[]> {
  const t = s.thresholds;
  const latency = [
    ...(t.publishP95Ms > 0 ? [`p(95)<${t.publishP95Ms}`] : []),
    ...(t.publishP99Ms > 0 ? [`p(99)<${t.publishP99Ms}`] : []),
  ];
  const all: Record<string, string[]> = {
    [METRICS.latency]: latency,
    [METRICS.rejected]: countAtMost(t.maxRejected),
    [METRICS.duplicate]: countAtMost(t.maxDuplicates),
    // Iterations k6 could not start on schedule are events never published: failures.
    dropped_iterations: countAtMost(t.maxDropped),
    [METRICS.routingMismatch]: ["count==0"],
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v.length > 0));
}

// Provisioning is sequential per in-flight slot; allow a second per round.
function setupTimeoutMs(s: ThroughputSettings): number {
  const calls = tenantCount(s.profiles) + destinationCount(s.profiles);
  return Math.max(60_000, Math.ceil(calls / s.provisionConcurrency) * 1000);
}

// The k6 scenario of a profile: "throughput" for the unnamed one, else its name.
export function scenarioName(profile: { name: string }): string {
  return profile.name === "" ? "throughput" : profile.name;
}

export function throughputOptions(s: ThroughputSettings): ThroughputOptions {
  return {
    scenarios: Object.fromEntries(s.profiles.map((p) => [scenarioName(p), scenarioForLoad(p.load)])),
    thresholds: throughputThresholds(s),
    setupTimeout: formatDuration(setupTimeoutMs(s)),
    summaryTrendStats: ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max"],
  };
}
