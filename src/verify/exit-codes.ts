import type { Outcome } from "./verdict";

// verify's exit codes, the same from k6 and from tools/verify.ts. k6 itself can
// only end with 0, 99 (a threshold crossed), 107 (script error) or 108
// (exec.test.abort), so every outcome but PASS shares 99 and the report's first
// line and the JSON's `outcome` tell them apart.
export const EXIT_PASS = 0;
export const EXIT_NOT_PASSED = 99;
// Bad settings, an unknown run, an unreachable dependency: no verdict at all.
export const EXIT_CANNOT_RUN = 108;

export function exitCodeFor(outcome: Outcome): number {
  return outcome === "PASS" ? EXIT_PASS : EXIT_NOT_PASSED;
}
