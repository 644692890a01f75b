import { ConfigError, type Env } from "./env";

// A preset is a named set of default settings (scenarios/presets/<name>.json).
// Environment variables always win over it: the preset only fills what is unset.
export type PresetValue = string | number | boolean;

// One traffic profile of a preset: its own tenants, destinations, load shape,
// payload, topic, retry (env, the profile-level variables) and receiver behaviour.
export interface PresetProfile {
  name: string;
  env?: Record<string, PresetValue>;
  // The mock's behaviour for this profile's destinations, in the control endpoint's JSON fields.
  receiver?: Record<string, unknown>;
}

export interface Preset {
  description: string;
  env: Record<string, PresetValue>;
  // Several kinds of traffic in one run, each its own k6 scenario.
  profiles?: PresetProfile[];
}

// A profile's environment with precedence applied: the environment, then the
// profile's own values, then the preset's.
export interface ProfileEnv {
  name: string;
  env: Env;
  // The variables the profile itself sets (only profile-level ones are allowed).
  own: string[];
  receiver: Record<string, unknown> | null;
}

export interface AppliedPreset {
  env: Env;
  preset: string | null;
  // null: the run is one profile configured by the environment alone.
  profiles: ProfileEnv[] | null;
}

function stringEnv(values: Record<string, PresetValue> | undefined): Env {
  const out: Env = {};
  for (const [key, value] of Object.entries(values ?? {})) out[key] = String(value);
  return out;
}

function nonEmpty(env: Env): Env {
  const out: Env = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value.trim() !== "") out[key] = value;
  return out;
}

export function applyPreset(env: Env, presets: Record<string, Preset>): AppliedPreset {
  const name = env.PRESET?.trim();
  if (!name) return { env, preset: null, profiles: null };
  const preset = presets[name];
  if (preset === undefined) {
    const available = Object.keys(presets).sort().join(", ");
    throw new ConfigError(`PRESET=${JSON.stringify(name)} is invalid: expected one of ${available}`);
  }
  const given = nonEmpty(env);
  const base = stringEnv(preset.env);
  const profiles =
    preset.profiles?.map((p) => ({
      name: p.name,
      env: { ...base, ...stringEnv(p.env), ...given },
      own: Object.keys(p.env ?? {}),
      receiver: p.receiver ?? null,
    })) ?? null;
  return { env: { ...base, ...given }, preset: name, profiles };
}

export type SettingsResult<T> = { ok: true; settings: T } | { ok: false; error: string };

// For k6 init code: options must exist even when a setting is bad, so the
// error is kept and reported once, by setup, before any load.
export function settingsFromEnv<T>(
  env: Env,
  presets: Record<string, Preset>,
  read: (env: Env, profiles: ProfileEnv[] | null) => T,
): SettingsResult<T> {
  try {
    const applied = applyPreset(env, presets);
    return { ok: true, settings: read(applied.env, applied.profiles) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err.message };
    throw err;
  }
}
