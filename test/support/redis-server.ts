import { type ChildProcess, spawn } from "node:child_process";
import { createConnection } from "node:net";
import { NodeRedisPort } from "../../adapters/node/redis";
import type { RunRecord } from "../../src/runstate/record";
import { RunStateStore } from "../../src/runstate/store";

// A throwaway real redis-server per test file, on a free loopback port.
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

// extraArgs override the defaults (redis-server keeps the last value of an option).
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const bin = process.env.REDIS_SERVER_BIN ?? "redis-server";
  const child: ChildProcess = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
    { stdio: "ignore" },
  );
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  for (let i = 0; i < 100 && !(await portOpen(port)); i++) {
    if (exited) throw new Error(`redis-server (${bin}) exited at start; is it installed?`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export async function connectRedis(server: RedisServer): Promise<NodeRedisPort> {
  return NodeRedisPort.connect(server.url);
}

// Registers mocha hooks giving the enclosing describe block its own real
// redis-server and a connection to it; read them inside tests and later hooks.
// Mocha runs `after` hooks in the order they were defined, so this Redis stops
// before anything a later hook stops: blocks whose processes (a mock) must
// drain into Redis start and stop their Redis themselves.
export function withRedis(): { readonly server: RedisServer; readonly redis: NodeRedisPort } {
  const live = {} as { server: RedisServer; redis: NodeRedisPort };
  before(async () => {
    live.server = await startRedis();
    live.redis = await connectRedis(live.server);
  });
  after(async () => {
    await live.redis?.close();
    await live.server?.stop();
  });
  return live;
}

// For benchmarks: a throwaway redis-server holding one run record, stopped
// whatever the body does.
export async function withThrowawayRun<T>(
  record: RunRecord,
  body: (store: RunStateStore, redis: NodeRedisPort) => Promise<T>,
): Promise<T> {
  const server = await startRedis();
  const redis = await connectRedis(server);
  try {
    const store = new RunStateStore(redis, record.testId);
    await store.createRunRecord(record);
    return await body(store, redis);
  } finally {
    await redis.close();
    await server.stop();
  }
}
