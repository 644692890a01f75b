// Typed readers for environment settings. Each failure is a ConfigError whose
// message is one line naming the variable and what it accepts; values of
// secret settings are never echoed.

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

// Exported for settings with their own grammar (e.g. the mock's latency forms).
export function fail(name: string, value: string, accepts: string, secret = false): never {
  const shown = secret ? "" : `=${JSON.stringify(value)}`;
  throw new ConfigError(`${name}${shown} is invalid: expected ${accepts}`);
}

export function readInt(env: Env, name: string, def: number, min: number, max: number): number {
  const v = raw(env, name);
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) fail(name, v, `an integer from ${min} to ${max}`);
  return Number(v);
}

export function readNumber(env: Env, name: string, def: number, min: number, max: number): number {
  const v = raw(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(v) || !Number.isFinite(n) || n < min || n > max)
    fail(name, v, `a number from ${min} to ${max}`);
  return n;
}

export function readBool(env: Env, name: string, def: boolean): boolean {
  const v = raw(env, name);
  if (v === undefined) return def;
  const l = v.toLowerCase();
  if (["1", "true", "yes", "on"].includes(l)) return true;
  if (["0", "false", "no", "off"].includes(l)) return false;
  return fail(name, v, "one of true, false, 1, 0, yes, no");
}

export function readEnum<T extends string>(env: Env, name: string, def: T, values: readonly T[]): T {
  const v = raw(env, name);
  if (v === undefined) return def;
  if (!(values as readonly string[]).includes(v)) fail(name, v, `one of ${values.join(", ")}`);
  return v as T;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// k6-style durations: "500ms", "30s", "5m", "1h30m"; a bare number is seconds.
export function parseDurationMs(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    if (m.index !== consumed) return null;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    consumed = m.index + m[0].length;
  }
  return consumed === t.length && consumed > 0 ? Math.round(total) : null;
}

export function readDurationMs(env: Env, name: string, def: string, minMs: number, maxMs: number): number {
  const v = raw(env, name) ?? def;
  const ms = parseDurationMs(v);
  if (ms === null || ms < minMs || ms > maxMs) {
    fail(
      name,
      v,
      `a duration like 500ms, 30s, 5m or 1h30m between ${formatDuration(minMs)} and ${formatDuration(maxMs)}`,
    );
  }
  return ms as number;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function readUrl(env: Env, name: string, def: string, schemes: readonly string[] = ["http", "https"]): string {
  const v = raw(env, name) ?? def;
  const m = /^([a-z][a-z0-9+.-]*):\/\/[^\s/?#]+(?:[/?#]\S*)?$/i.exec(v);
  if (!m || !schemes.includes(m[1].toLowerCase()))
    fail(name, redactUrl(v), `a URL starting with ${schemes.map((s) => `${s}://`).join(" or ")}`);
  return v.replace(/\/+$/, "");
}

export function readString(env: Env, name: string, def: string, pattern?: RegExp, accepts?: string): string {
  const v = raw(env, name) ?? def;
  if (pattern && !pattern.test(v)) fail(name, v, accepts ?? `a value matching ${pattern}`);
  return v;
}

// Secrets: validated without ever showing the value.
export function readSecret(env: Env, name: string, def: string, pattern?: RegExp, accepts?: string): string {
  const v = raw(env, name) ?? def;
  if (pattern && !pattern.test(v)) fail(name, v, accepts ?? "a different value", true);
  return v;
}

// A URL with any userinfo password replaced, safe to print.
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string, userinfo: string) => {
    const user = userinfo.split(":")[0];
    return `${scheme}${user ? `${user}:` : ""}***@`;
  });
}
