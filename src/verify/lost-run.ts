import { type Check, decide, type Verdict } from "./verdict";
import { RUN_STATE_LOST } from "./ledger";

// A run whose record is gone while keys of it remain: the run existed, but
// what it needs to be counted (shape, destinations, plan) was lost, so the
// only honest verdict is VOID. JSON-serialisable like VerifyReport.
export interface LostRunReport {
  testId: string;
  outcome: "VOID";
  generatedAt: string;
  runStateLost: { keysFound: string[] };
  verdict: Verdict;
}

export function lostRunReport(testId: string, keysFound: string[], nowMs: number): LostRunReport {
  const check: Check = {
    name: "ledger",
    ok: false,
    failsAs: "VOID",
    label: RUN_STATE_LOST,
    detail: `VOID run: ${RUN_STATE_LOST}: no run record for TEST_ID=${testId}, but the run's ${keysFound.join(", ")} remain, so the record was lost (it expired after RUN_TTL, was evicted, or Redis restarted without persistence)`,
  };
  const { headline } = decide([check]);
  return {
    testId,
    outcome: "VOID",
    generatedAt: new Date(nowMs).toISOString(),
    runStateLost: { keysFound },
    verdict: { outcome: "VOID", headline, pass: false, void: true, checks: [check], reasons: [check.detail] },
  };
}

export function renderLostRun(r: LostRunReport): string {
  const c = r.verdict.checks[0];
  return `VERDICT: ${r.verdict.headline}\noutpost-loadtest verify: run ${r.testId}\n  FAIL ${c.name}: ${c.detail}\n`;
}
