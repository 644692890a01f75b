import { isLostRun, type VerifyReport } from "../../src/verify/report";
import { runVerification as run } from "../../src/verify/run-verification";

// runVerification for tests of runs that have their record: the full report,
// or a failure when verify found the run's state lost.
export async function verifiedReport(...args: Parameters<typeof run>): Promise<VerifyReport> {
  const r = await run(...args);
  if (isLostRun(r)) throw new Error(`run state lost: ${r.verdict.reasons.join("; ")}`);
  return r;
}
