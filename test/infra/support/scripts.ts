import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type K8sObject, parseObjects } from "./kubernetes";

export const ROOT = join(__dirname, "../../..");

// The TestRun that `make distributed` applies, rendered by kind/scripts/testrun.sh itself.
export function renderTestRun(parallelism: number, testId: string, k6Args: string[] = []): K8sObject {
  const quoted = k6Args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const script = `source kind/scripts/common.sh; source kind/scripts/testrun.sh; render_testrun ${parallelism} ${testId} ${quoted}`;
  return parseObjects(execFileSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8" }))[0];
}

// The base images of a Dockerfile, with ARG defaults substituted and earlier stages left out.
export function dockerfileBaseImages(path: string): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of readFileSync(join(ROOT, path), "utf8").split("\n")) {
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)/.exec(line);
    if (arg) args[arg[1]] ??= arg[2];
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    const image = from[1].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (ref, name: string) => args[name] ?? ref);
    if (!stages.has(image)) images.push(image);
    if (from[2]) stages.add(from[2]);
  }
  return images;
}
