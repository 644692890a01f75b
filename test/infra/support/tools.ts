import { execFileSync } from "node:child_process";

// The command-line tools the infrastructure checks need, and where CI gets them.
const HINTS: Record<string, string> = {
  kubectl: "kubectl (its built-in kustomize renders kind/ and monitoring/): apt-get install kubectl",
  "kubernetes-validate": "kubernetes-validate (bundled Kubernetes schemas): pip install kubernetes-validate==1.37.0",
  promtool: "promtool: apt-get install prometheus",
  prometheus: "prometheus 2.x: apt-get install prometheus",
};

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

// Runs a tool to completion; a missing tool fails with the line that says how to install it.
export function runTool(tool: string, args: string[], input?: string): RunResult {
  try {
    const stdout = execFileSync(tool, args, {
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: 0, stdout, stderr: "" };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error(`${tool} is not installed; install ${HINTS[tool] ?? tool}`);
    return { status: e.status ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

export function runToolOk(tool: string, args: string[], input?: string): string {
  const r = runTool(tool, args, input);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
