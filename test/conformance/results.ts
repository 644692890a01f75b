import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CaseResult } from "./cases";
import { request, type Target } from "./target";

// The results file `make conformance` writes, the recorded real run it is compared with,
// and the differences docs/conformance.md accepts as known.

export interface ResultsFile {
  suite: "outpost-loadtest conformance";
  date: string;
  target: {
    // "outpost" or "outpost-fake" (the fake says so in its /healthz body).
    implementation: string;
    url: string;
    version?: string;
    commit?: string;
    // OUTPOST_STOP_CMD / OUTPOST_START_CMD, when the lifecycle cases had them.
    control?: { stop: string; start: string };
  };
  // The Outpost settings the suite was told the target runs with (no secrets).
  outpost_env: Record<string, string>;
  summary: { pass: number; fail: number; skip: number };
  cases: Record<string, CaseResult & { title: string }>;
}

export interface KnownGap {
  case: string;
  real: CaseResult["result"];
  fake: CaseResult["result"];
  why: string;
}

export const RECORDED_PATH = join(__dirname, "recorded", "outpost-v1.2.0.json");
export const KNOWN_GAPS_PATH = join(__dirname, "known-gaps.json");

export async function implementationOf(target: Target): Promise<string> {
  const res = await request({ method: "GET", url: `${target.url}/healthz` });
  try {
    return typeof JSON.parse(res.body).fake === "string" ? "outpost-fake" : "outpost";
  } catch {
    return "outpost";
  }
}

export function resultsFile(
  target: Target,
  implementation: string,
  cases: Record<string, CaseResult & { title: string }>,
): ResultsFile {
  const all = Object.values(cases);
  const count = (r: CaseResult["result"]) => all.filter((c) => c.result === r).length;
  return {
    suite: "outpost-loadtest conformance",
    date: new Date().toISOString(),
    target: {
      implementation,
      url: target.url,
      ...(target.version ? { version: target.version } : {}),
      ...(target.commit ? { commit: target.commit } : {}),
      ...(target.controlCommands ? { control: target.controlCommands } : {}),
    },
    outpost_env: target.env,
    summary: { pass: count("pass"), fail: count("fail"), skip: count("skip") },
    cases,
  };
}

export function writeResults(path: string, file: ResultsFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

export function loadRecorded(): ResultsFile | undefined {
  return existsSync(RECORDED_PATH) ? (JSON.parse(readFileSync(RECORDED_PATH, "utf8")) as ResultsFile) : undefined;
}

export function loadKnownGaps(): KnownGap[] {
  return (JSON.parse(readFileSync(KNOWN_GAPS_PATH, "utf8")) as { gaps: KnownGap[] }).gaps;
}

// What the fake must do on a case: what the real Outpost did, unless a known gap says otherwise.
export function expectedOfFake(
  caseId: string,
  recorded: ResultsFile | undefined,
  gaps: KnownGap[],
): { expected: CaseResult["result"]; because: string } | { error: string } {
  const real = recorded?.cases[caseId];
  if (real === undefined || real.result === "skip")
    return {
      error: `case ${caseId} has no pass/fail in the recorded real run (${RECORDED_PATH.replace(/.*\/test\//, "test/")}): run make conformance against a real Outpost v1.2.0 and commit the result`,
    };
  const gap = gaps.find((g) => g.case === caseId);
  if (gap !== undefined) return { expected: gap.fake, because: `known gap (docs/conformance.md): ${gap.why}` };
  return {
    expected: real.result,
    because: `the real Outpost ${recorded?.target.version ?? ""} recorded ${real.result}`,
  };
}
