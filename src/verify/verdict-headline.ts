import type { VerifyResult } from "./report";
import type { Verdict } from "./verdict";

// The verdict's headline (its outcome, and what decided it), and a class for
// styling it by outcome. A report saved by a verify older than the four
// outcomes has only pass and void: PASS, VOID or FAIL then.
export function verdictHeadline(r: Pick<VerifyResult, "verdict">): { text: string; cls: string } {
  const v: Partial<Verdict> & Pick<Verdict, "pass" | "void"> = r.verdict;
  const outcome = v.outcome ?? (v.pass ? "PASS" : v.void ? "VOID" : "FAIL");
  return { text: v.headline ?? outcome, cls: outcome.toLowerCase() };
}
