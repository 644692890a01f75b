import { ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../../support/redis-server";

export interface MockProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

// The real mock webhook (mock-webhook/main.ts) as its own Node process.
export async function startMockProcess(redisUrl: string): Promise<MockProcess> {
  const port = await freePort();
  const root = join(__dirname, "../../..");
  const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(root, "mock-webhook/main.ts")], {
    cwd: root,
    env: { ...process.env, REDIS_URL: redisUrl, MOCK_PORT: String(port), MOCK_HOST: "127.0.0.1", MOCK_WORKERS: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
  let exited = false;
  child.once("exit", () => { exited = true; });
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> => new Promise<void>((resolve) => {
    if (exited) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`the mock webhook exited at start:\n${log}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 300) { await stop(); throw new Error(`the mock webhook did not answer /healthz on ${url}:\n${log}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, stop };
}
