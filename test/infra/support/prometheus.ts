import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../support/redis-server";

export interface QueryAnswer {
  httpStatus: number;
  status: string;
  error?: string;
  resultCount: number;
}

export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<QueryAnswer>;
  stop(): Promise<void>;
}

// A throwaway real Prometheus on a free loopback port with the remote-write receiver on.
export async function startPrometheus(configYaml: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), "olt-prom-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bin = process.env.PROMETHEUS_BIN ?? "prometheus";
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (b: Buffer) => {
    log = (log + b.toString()).slice(-4000);
  });
  let exited = false;
  child.once("error", () => {
    exited = true;
  });
  child.once("exit", () => {
    exited = true;
  });
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (exited) return done();
      child.once("exit", done);
      child.kill("SIGTERM");
    });
  for (let i = 0; ; i++) {
    if (exited)
      throw new Error(`prometheus (${bin}) exited at start; install it with apt-get install prometheus\n${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 200) {
      await stop();
      throw new Error(`prometheus did not become ready on ${url}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const query = async (expr: string): Promise<QueryAnswer> => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result?: unknown[] } };
    return {
      httpStatus: res.status,
      status: body.status,
      error: body.error,
      resultCount: body.data?.result?.length ?? 0,
    };
  };
  return { url, query, stop };
}
