import { AssertionError } from "node:assert";
import type { CaseContext, ConformanceCase } from "./case-kit";
import { API_CASES } from "./cases-api";
import { DELIVERY_CASES } from "./cases-delivery";
import { LIFECYCLE_CASES } from "./cases-lifecycle";
import { PUBLISH_CASES } from "./cases-publish";
import type { Target } from "./target";

export const CASES: ConformanceCase[] = [...API_CASES, ...PUBLISH_CASES, ...DELIVERY_CASES, ...LIFECYCLE_CASES];

// The retry cases wait out the whole schedule; past a minute they are skipped.
const SHORT_RETRIES_MS = 60_000;

export function skipReason(c: ConformanceCase, target: Target): string | undefined {
  for (const need of c.needs ?? []) {
    if (need === "apiKey" && target.apiKey === "")
      return "the target runs without API_KEY (every caller is admin): set OUTPOST_API_KEY";
    if (need === "control" && target.control === undefined)
      return "stopping and starting Outpost needs OUTPOST_STOP_CMD and OUTPOST_START_CMD";
    if (need === "shortRetries") {
      const { policy } = target;
      let total = 0;
      for (let a = 1; a <= policy.maxRetries; a++) total += policy.delayMsAfter(a);
      if (policy.maxRetries === 0 || total > SHORT_RETRIES_MS)
        return `needs a short retry schedule (all retries within ${SHORT_RETRIES_MS / 1000} s): start Outpost with RETRY_SCHEDULE=1,2,4 and give the suite the same RETRY_SCHEDULE`;
    }
  }
  return undefined;
}

export interface CaseResult {
  result: "pass" | "fail" | "skip";
  detail?: string;
  ms: number;
}

export async function runCase(c: ConformanceCase, ctx: CaseContext): Promise<CaseResult> {
  const started = Date.now();
  try {
    const detail = await c.run(ctx);
    return { result: "pass", ...(detail ? { detail } : {}), ms: Date.now() - started };
  } catch (err) {
    return { result: "fail", detail: failureDetail(err), ms: Date.now() - started };
  }
}

// One line: assert's own messages are multi-line diffs, so show expected and actual instead.
function failureDetail(err: unknown): string {
  if (err instanceof AssertionError && err.generatedMessage)
    return `expected ${JSON.stringify(err.expected)}, got ${JSON.stringify(err.actual)}`.slice(0, 600);
  return String((err as Error).message ?? err).split("\n")[0];
}
