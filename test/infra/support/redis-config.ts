import { execFileSync, spawn } from "node:child_process";
import { freePort } from "../../support/redis-server";

// Starts a real redis-server with the given arguments (plus a free loopback port) and asks it for
// its effective maxmemory in bytes, so Redis itself parses the value and its units.
export async function redisMaxmemory(args: string[]): Promise<number> {
  const port = await freePort();
  const child = spawn("redis-server", [...args, "--port", String(port), "--bind", "127.0.0.1"], { stdio: "ignore" });
  let exited: number | null = null;
  child.once("exit", (code) => {
    exited = code ?? 1;
  });
  try {
    for (let i = 0; ; i++) {
      if (exited !== null) throw new Error(`redis-server refused ${JSON.stringify(args)} (exit ${exited})`);
      try {
        const out = execFileSync("redis-cli", ["-p", String(port), "config", "get", "maxmemory"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
        const [, value] = out.trim().split("\n");
        if (value !== undefined) return Number(value);
      } catch {
        // not listening yet
      }
      if (i > 100) throw new Error("redis-server did not answer");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (exited === null) child.kill("SIGTERM");
  }
}
