import { ConfigError } from "../config/env";
import { STAGES } from "../runstate/keys";
import type { VerifyReport } from "./report";

// What compare and the report tools read: a verify SUMMARY_JSON. Anything else
// is one line naming the setting, the file and what is missing.
export function parseVerifyReport(text: string, variable: string, path: string): VerifyReport {
  const bad = (why: string): never => {
    throw new ConfigError(`${variable}=${path} is not a verify report (the SUMMARY_JSON verify writes): ${why}`);
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  const r = v as Partial<VerifyReport> | null;
  if (r === null || typeof r !== "object" || Array.isArray(r)) return bad("not a JSON object");
  if (typeof r.testId !== "string") return bad("no testId");
  for (const stage of STAGES) if (typeof r.latency?.stages?.[stage] !== "object") bad(`no latency.stages.${stage}`);
  if (typeof r.throughput !== "object" || r.throughput === null) bad("no throughput");
  if (typeof r.ledger?.totals !== "object") bad("no ledger.totals");
  if (typeof r.verdict !== "object" || r.verdict === null) bad("no verdict");
  if (typeof r.run?.shape !== "object") bad("no run record");
  return r as VerifyReport;
}
