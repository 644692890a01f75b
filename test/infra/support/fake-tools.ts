import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./scripts";

// A directory of stand-in commands put first on PATH, each a bash script that logs its arguments
// to calls.log, so a kind/scripts function can run here without Docker or a cluster.
export interface FakeTools {
  dir: string;
  calls(): string[];
  run(bashScript: string, env?: Record<string, string>): { status: number; stdout: string; stderr: string };
  remove(): void;
}

export function fakeTools(tools: Record<string, string>): FakeTools {
  const dir = mkdtempSync(join(tmpdir(), "olt-fake-tools-"));
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  for (const [name, body] of Object.entries(tools)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/usr/bin/env bash\nprintf '%s\\n' "${name} $*" >>"${log}"\nFAKE="${dir}"\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return {
    dir,
    calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    run: (bashScript, env = {}) => {
      const r = spawnSync("bash", ["-c", `source kind/scripts/common.sh; ${bashScript}`], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...env, PATH: `${dir}:${env.PATH ?? process.env.PATH}` },
        timeout: 20_000,
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
