import { spawn, spawnSync } from "node:child_process";
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

// The same without blocking this process: for tools that call servers the test itself runs.
export function runNodeToolAsync(name: string, env: Record<string, string>): Promise<ToolRun> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", `tools/${name}.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}
