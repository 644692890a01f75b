import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Runs tools/<name>.ts as `make` would, with only PATH and the given environment.
export function runNodeTool(name: string, env: Record<string, string>, timeoutMs = 30_000): ToolRun {
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", `tools/${name}.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
