// Types for scripts/k6-compat.js (plain CommonJS so webpack.config.js and make can run it without a build).
export interface K6Description {
  binary: string;
  error?: string;
  text?: string;
  major?: number;
  minor?: number;
  patch?: number;
  hasXk6Redis?: boolean;
}
export interface K6Version {
  text: string;
  major: number;
  minor: number;
  patch: number;
  hasXk6Redis: boolean;
}
export const PINNED_K6: string;
export function resolveK6(env?: Record<string, string | undefined>): string | null;
export function describeK6(binary: string): K6Description;
export function parseVersionOutput(text: string): K6Version | null;
export function flavourFor(k6: K6Description | null): { flavour: "xk6" | "experimental"; reason: string };
export function incompatibility(k6: K6Description | null, bundlePath: string): string | null;
export function verifyPinned(binary: string, version: string): K6Version;
