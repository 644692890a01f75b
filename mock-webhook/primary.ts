import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import type { FaultConfig } from "../src/receiver/faults";
import { isOltMessage, PendingReplies, type ToPrimary, type ToWorker } from "./ipc";
import { log } from "./log";
import type { MockSettings } from "./settings";

// Env var through which a (re)started worker gets the faults in force now.
export const WORKER_FAULTS_ENV = "OLT_MOCK_WORKER_FAULTS";

function send(worker: Worker, msg: ToWorker): void {
  if (worker.isConnected()) worker.send(msg);
}

// MOCK_WORKERS>1: the primary owns no socket of its own; workers share the
// port. It restarts crashed workers, answers their metric and fault-control
// requests, and on SIGTERM asks each to drain, exiting 0 when all did.
export function runPrimary(settings: MockSettings): void {
  const aggregator = new AggregatorRegistry();
  const acks = new PendingReplies<void>(10_000);
  let faults: FaultConfig = settings.faults;
  let stopping = false;
  let failedExits = 0;

  const fork = (): Worker => cluster.fork({ [WORKER_FAULTS_ENV]: JSON.stringify(faults) });
  const workers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);

  // Every worker applies the message before the answer goes back.
  const broadcast = async (message: (id: number) => ToWorker): Promise<void> => {
    await Promise.all(workers().map((w) => acks.request((id) => send(w, message(id)))));
  };

  const answer = async (worker: Worker, id: number, work: () => Promise<string>): Promise<void> => {
    try {
      send(worker, { type: "olt:reply", id, body: await work() });
    } catch (err) {
      send(worker, { type: "olt:reply", id, error: (err as Error).message });
    }
  };

  cluster.on("message", (worker: Worker, msg: unknown) => {
    if (!isOltMessage<ToPrimary>(msg)) return;
    if (msg.type === "olt:metrics") void answer(worker, msg.id, () => aggregator.clusterMetrics());
    else if (msg.type === "olt:faults")
      void answer(worker, msg.id, async () => {
        faults = msg.config;
        await broadcast((id) => ({ type: "olt:faults:set", id, config: msg.config }));
        return "";
      });
    else if (msg.type === "olt:receivers")
      void answer(worker, msg.id, async () => {
        await broadcast((id) => ({ type: "olt:receivers:changed", id, testId: msg.testId }));
        return "";
      });
    else if (msg.type === "olt:applied") acks.settle(msg.id, undefined);
  });

  cluster.on("exit", (worker, code, signal) => {
    if (stopping && code !== 0) failedExits++;
    if (!stopping) {
      log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      fork();
    } else if (workers().length === 0) process.exit(failedExits === 0 ? 0 : 1);
  });

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    log("draining workers");
    for (const w of workers()) send(w, { type: "olt:shutdown" });
  };
  cluster.on("listening", (worker, address) =>
    log(`worker ${worker.process.pid} listening on http://${settings.host}:${address.port}`),
  );
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  for (let i = 0; i < settings.workers; i++) fork();
}
