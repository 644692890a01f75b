import { ConfigError, type Env } from "./env";

// A preset is a named set of default settings (scenarios/presets/<name>.json).
// Environment variables always win over it: the preset only fills what is unset.
export type PresetValue = string | number | boolean;

export interface Preset {
  description: string;
  env: Record<string, PresetValue>;
}

export function applyPreset(env: Env, presets: Record<string, Preset>): { env: Env; preset: string | null } {
  const name = env.PRESET?.trim();
  if (!name) return { env, preset: null };
  const preset = presets[name];
  if (preset === undefined) {
    const available = Object.keys(presets).sort().join(", ");
    throw new ConfigError(`PRESET=${JSON.stringify(name)} is invalid: expected one of ${available}`);
  }
  const merged: Env = {};
  for (const [key, value] of Object.entries(preset.env)) merged[key] = String(value);
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") merged[key] = value;
  }
  return { env: merged, preset: name };
}

export type SettingsResult<T> = { ok: true; settings: T } | { ok: false; error: string };

// For k6 init code: options must exist even when a setting is bad, so the
// error is kept and reported once, by setup, before any load.
export function settingsFromEnv<T>(
  env: Env,
  presets: Record<string, Preset>,
  read: (env: Env) => T,
): SettingsResult<T> {
  try {
    return { ok: true, settings: read(applyPreset(env, presets).env) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err.message };
    throw err;
  }
}
