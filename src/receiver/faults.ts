import { ConfigError, type Env, fail, formatDuration, readDurationMs, readNumber, readString } from "../config/env";
import { type LatencySampler, latencyMeanMs, parseLatency, type Random } from "./latency";

// Injected faults: the mock's receiver behaviour. The same fields are read from
// the environment at start, from the control endpoint's JSON at run time and
// from a preset's traffic profile (its receiver), with the same one-line errors.
export interface FaultConfig {
  errorRatio: number;
  errorStatuses: number[];
  timeoutRatio: number;
  timeoutHoldMs: number;
  resetRatio: number;
  latency: string;
}

export type FaultField = keyof FaultConfig;
export type FaultNames = Record<FaultField, string>;

export const NO_FAULTS: FaultConfig = {
  errorRatio: 0,
  errorStatuses: [500],
  timeoutRatio: 0,
  // Past Outpost's default DELIVERY_TIMEOUT_SECONDS (5 s).
  timeoutHoldMs: 10_000,
  resetRatio: 0,
  latency: "none",
};

export const ENV_NAMES: FaultNames = {
  errorRatio: "MOCK_FAULT_ERROR_RATIO",
  errorStatuses: "MOCK_FAULT_ERROR_STATUSES",
  timeoutRatio: "MOCK_FAULT_TIMEOUT_RATIO",
  timeoutHoldMs: "MOCK_FAULT_TIMEOUT_HOLD",
  resetRatio: "MOCK_FAULT_RESET_RATIO",
  latency: "MOCK_FAULT_LATENCY",
};

// The control endpoint's JSON keys; the hold is a duration string there too.
export const JSON_NAMES: FaultNames = {
  errorRatio: "errorRatio",
  errorStatuses: "errorStatuses",
  timeoutRatio: "timeoutRatio",
  timeoutHoldMs: "timeoutHold",
  resetRatio: "resetRatio",
  latency: "latency",
};

export function faultsToJson(c: FaultConfig): Record<string, unknown> {
  return { ...c, timeoutHoldMs: undefined, timeoutHold: formatDuration(c.timeoutHoldMs) };
}

function readStatuses(env: Env, name: string, def: number[]): number[] {
  const accepts = "comma-separated HTTP statuses from 400 to 599, e.g. 500,503";
  const text = readString(env, name, def.join(","), /^\s*\d{3}\s*(,\s*\d{3}\s*)*$/, accepts);
  const statuses = text.split(",").map((s) => Number(s.trim()));
  return statuses.every((s) => s >= 400 && s <= 599) ? statuses : fail(name, text, accepts);
}

// Fields absent from `env` keep their value in `base`.
export function readFaults(env: Env, names: FaultNames, base: FaultConfig): FaultConfig {
  const c: FaultConfig = {
    errorRatio: readNumber(env, names.errorRatio, base.errorRatio, 0, 1),
    errorStatuses: readStatuses(env, names.errorStatuses, base.errorStatuses),
    timeoutRatio: readNumber(env, names.timeoutRatio, base.timeoutRatio, 0, 1),
    timeoutHoldMs: readDurationMs(env, names.timeoutHoldMs, formatDuration(base.timeoutHoldMs), 1, 600_000),
    resetRatio: readNumber(env, names.resetRatio, base.resetRatio, 0, 1),
    latency: readString(env, names.latency, base.latency),
  };
  parseLatency(names.latency, c.latency);
  if (c.errorRatio + c.timeoutRatio + c.resetRatio > 1) {
    throw new ConfigError(
      `${names.errorRatio} + ${names.timeoutRatio} + ${names.resetRatio} = ${c.errorRatio + c.timeoutRatio + c.resetRatio} is invalid: expected a sum of at most 1`,
    );
  }
  return c;
}

// A JSON object with any of the JSON_NAMES fields (the control endpoint's body,
// a preset profile's receiver), merged into base.
export function faultsFromObject(parsed: unknown, base: FaultConfig, what = "request body"): FaultConfig {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new ConfigError(`${what} is invalid: expected a JSON object`);
  const jsonKeys = Object.values(JSON_NAMES);
  const env: Env = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!jsonKeys.includes(k))
      throw new ConfigError(`${k} is not a fault setting: expected one of ${jsonKeys.join(", ")}`);
    env[k] = Array.isArray(v) ? v.join(",") : String(v);
  }
  return readFaults(env, JSON_NAMES, base);
}

// The control endpoint's body.
export function faultsFromJson(body: string, base: FaultConfig): FaultConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ConfigError("request body is invalid: expected a JSON object");
  }
  return faultsFromObject(parsed, base);
}

// Share of attempts answered with a fault (Outpost retries them when the event is eligible).
export function faultRatio(c: FaultConfig): number {
  return c.errorRatio + c.timeoutRatio + c.resetRatio;
}

// How long the mock keeps one attempt waiting for its answer, on average (ms):
// the added latency on answers and errors, the hold on timeouts (Outpost may give
// up sooner, at its DELIVERY_TIMEOUT_SECONDS), nothing on resets.
export function meanAnswerMs(c: FaultConfig): number {
  const answered = 1 - c.timeoutRatio - c.resetRatio;
  return answered * latencyMeanMs(JSON_NAMES.latency, c.latency) + c.timeoutRatio * c.timeoutHoldMs;
}

export type FaultDecision =
  | { kind: "none" }
  | { kind: "error"; status: number }
  | { kind: "timeout"; holdMs: number }
  | { kind: "reset" };

// The active faults of one process, with the latency form compiled once.
export class Faults {
  private latencySampler: LatencySampler | null = null;

  constructor(
    private current: FaultConfig,
    private readonly random: Random = Math.random,
  ) {
    this.set(current);
  }

  get config(): FaultConfig {
    return this.current;
  }

  set(config: FaultConfig): void {
    this.latencySampler = parseLatency(JSON_NAMES.latency, config.latency);
    this.current = config;
  }

  // One draw decides among error, timeout and reset, so their ratios add up.
  decide(): FaultDecision {
    const c = this.current;
    const r = this.random();
    if (r < c.errorRatio)
      return { kind: "error", status: c.errorStatuses[Math.floor(this.random() * c.errorStatuses.length)] };
    if (r < c.errorRatio + c.timeoutRatio) return { kind: "timeout", holdMs: c.timeoutHoldMs };
    if (r < c.errorRatio + c.timeoutRatio + c.resetRatio) return { kind: "reset" };
    return { kind: "none" };
  }

  latencyMs(): number {
    return this.latencySampler === null ? 0 : this.latencySampler(this.random);
  }
}
