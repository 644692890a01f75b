import cluster from "node:cluster";
import { createServer } from "node:http";
import { register } from "prom-client";
import { createClient } from "redis";
import { NodeRedisPort } from "../adapters/node/redis";
import { redactUrl } from "../src/config/env";
import { type Coordinator, LocalCoordinator, WorkerCoordinator } from "./coordinator";
import { Faults } from "../src/receiver/faults";
import { Holds } from "./holds";
import { Receivers } from "./receivers";
import { log, logThrottled } from "./log";
import { createMetrics } from "./metrics";
import { RecentAttempts } from "./recent";
import { ReceiptWriter } from "./receipt-writer";
import { requestHandler } from "./routes";
import { WallClock } from "./wall-clock";
import { RunCache } from "./runs";
import type { MockSettings } from "./settings";

// Longer than the idle timeout of Go's HTTP transport (90 s), so Outpost never
// reuses a connection the mock is closing and sees a spurious reset.
const KEEP_ALIVE_MS = 120_000;

// Fails commands at once while Redis is away (the request answers 503) and
// keeps reconnecting for as long as the mock runs.
async function connectRedis(url: string): Promise<NodeRedisPort> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 2000) },
  });
  client.on("error", (err: Error) => logThrottled("redis", `redis ${redactUrl(url)}: ${err.message}`));
  client.on("ready", () => log(`redis ${redactUrl(url)}: connected`));
  client.connect().catch(() => undefined);
  return new NodeRedisPort(client, redactUrl(url));
}

// One HTTP server process: the only process with MOCK_WORKERS=1, else one of the cluster's workers.
export async function runWorker(settings: MockSettings): Promise<void> {
  const redis = await connectRedis(settings.redisUrl);
  const faults = new Faults(settings.faults);
  const receivers = new Receivers();
  const recent = new RecentAttempts(settings.recentEvents);
  const metrics = createMetrics(register, () => recent.size);
  const holds = new Holds();
  let closing = false;
  let inFlight = 0;
  let drained: () => void = () => undefined;

  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => server.closeAllConnections(), settings.shutdownTimeoutMs);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    holds.releaseAll();
    await closed;
    // A handler whose client is gone may still be writing to Redis.
    if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
    clearTimeout(force);
    await redis.client.quit().catch(() => redis.client.disconnect());
    log("drained; exiting");
    process.exit(0);
  };

  const coordinator: Coordinator = cluster.isWorker
    ? new WorkerCoordinator(faults, receivers, () => void shutdown())
    : new LocalCoordinator(register, faults, receivers);
  const handle = requestHandler({
    redis,
    runs: new RunCache(redis, settings.runTtlSeconds),
    receipts: new ReceiptWriter(settings.receiptWindowMs),
    recent,
    faults,
    receivers,
    metrics,
    holds,
    coordinator,
    maxBodyBytes: settings.maxBodyBytes,
    requireSignature: settings.requireSignature,
    closing: () => closing,
    clock: new WallClock(),
  });
  const server = createServer(
    { keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: KEEP_ALIVE_MS + 5_000 },
    (req, res) => {
      inFlight++;
      void handle(req, res).finally(() => {
        if (--inFlight === 0 && closing) drained();
      });
    },
  );
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
  server.listen(settings.port, settings.host, () => {
    if (!cluster.isWorker) log(`listening on http://${settings.host}:${settings.port}`);
  });
}
