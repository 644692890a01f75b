import { AggregatorRegistry, type Registry } from "prom-client";
import type { FaultConfig, Faults } from "../src/receiver/faults";
import { isOltMessage, PendingReplies, type ToPrimary, type ToWorker } from "./ipc";
import type { Receivers } from "./receivers";

// What needs every process of the mock: metrics summed over workers, and a
// fault change that must reach every worker before the control call returns.
export interface Coordinator {
  metrics(): Promise<string>;
  applyFaults(config: FaultConfig): Promise<void>;
  // A run's profile receiver behaviour changed in Redis.
  invalidateReceivers(testId: string): Promise<void>;
}

// MOCK_WORKERS=1: one process, nothing to coordinate.
export class LocalCoordinator implements Coordinator {
  constructor(
    private readonly registry: Registry,
    private readonly faults: Faults,
    private readonly receivers: Receivers,
  ) {}

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  async applyFaults(config: FaultConfig): Promise<void> {
    this.faults.set(config);
  }

  async invalidateReceivers(testId: string): Promise<void> {
    this.receivers.invalidate(testId);
  }
}

// A cluster worker: the primary aggregates metrics (prom-client's
// AggregatorRegistry) and broadcasts fault changes, waiting for every ack.
export class WorkerCoordinator implements Coordinator {
  private readonly replies = new PendingReplies<string>(10_000);

  constructor(faults: Faults, receivers: Receivers, onShutdown: () => void) {
    // prom-client answers the primary's metric requests only once an
    // AggregatorRegistry exists in the worker too.
    new AggregatorRegistry();
    process.on("message", (msg: unknown) => {
      if (!isOltMessage<ToWorker>(msg)) return;
      if (msg.type === "olt:reply")
        this.replies.settle(msg.id, msg.error === undefined ? (msg.body ?? "") : new Error(msg.error));
      else if (msg.type === "olt:faults:set") {
        faults.set(msg.config);
        this.send({ type: "olt:applied", id: msg.id });
      } else if (msg.type === "olt:receivers:changed") {
        receivers.invalidate(msg.testId);
        this.send({ type: "olt:applied", id: msg.id });
      } else if (msg.type === "olt:shutdown") onShutdown();
    });
  }

  private send(msg: ToPrimary): void {
    process.send?.(msg);
  }

  metrics(): Promise<string> {
    return this.replies.request((id) => this.send({ type: "olt:metrics", id }));
  }

  async applyFaults(config: FaultConfig): Promise<void> {
    await this.replies.request((id) => this.send({ type: "olt:faults", id, config }));
  }

  async invalidateReceivers(testId: string): Promise<void> {
    await this.replies.request((id) => this.send({ type: "olt:receivers", id, testId }));
  }
}
