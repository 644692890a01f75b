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

// Shell words of one command line: quotes removed, variables left as written.
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

// Variables assigned at the top level of kind/scripts/common.sh (NAME=value).
export function commonVariables(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, "kind/scripts/common.sh"), "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"|"$/g, "");
  }
  return vars;
}

export interface HelmInstall {
  script: string;
  chart: string;
  namespace: string;
  createNamespace: boolean;
  valuesFiles: string[];
  sets: Record<string, string>;
  // What the script does before the install, to see whether it creates the namespace itself.
  before: string;
}

// Every `helm install` / `helm upgrade --install` in a script, continuation lines joined and the
// variables of common.sh substituted.
export function helmInstalls(script: string): HelmInstall[] {
  const vars = commonVariables();
  const text = readFileSync(join(ROOT, script), "utf8").replace(/\\\n\s*/g, " ");
  const resolve = (w: string): string => w.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (ref, n: string) => vars[n] ?? ref);
  const installs: HelmInstall[] = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    const words = shellWords(line).map(resolve);
    const at = words.indexOf("helm");
    const rest = at < 0 ? [] : words.slice(at + 1);
    const isInstall = rest[0] === "install" || (rest[0] === "upgrade" && rest.includes("--install"));
    if (isInstall) {
      const positional = rest
        .slice(1)
        .filter(
          (w, i, a) =>
            !w.startsWith("-") && !/^(-n|--namespace|-f|--values|--set|--version|--timeout)$/.test(a[i - 1] ?? ""),
        );
      const flagValues = (...flags: string[]): string[] =>
        rest.flatMap((w, i) =>
          flags.includes(w)
            ? [rest[i + 1]]
            : flags.flatMap((f) => (w.startsWith(`${f}=`) ? [w.slice(f.length + 1)] : [])),
        );
      installs.push({
        script,
        chart: positional[1],
        namespace: flagValues("-n", "--namespace")[0] ?? "default",
        createNamespace: rest.includes("--create-namespace"),
        valuesFiles: flagValues("-f", "--values"),
        sets: Object.fromEntries(
          flagValues("--set").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
        ),
        before: resolve(text.slice(0, offset)),
      });
    }
    offset += line.length + 1;
  }
  return installs;
}
