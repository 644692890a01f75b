import type { DeliveryTask, FakeStore } from "./model";
import { type RetryPolicy, shouldRetry } from "./retry";
import { WebhookSender } from "./send-webhook";
import type { FakeSettings } from "./settings";
import { buildWebhookRequest } from "./webhook-request";

// The delivery side of Outpost v1.2.0 (internal/deliverymq/messagehandler.go): take a
// task from the queue, skip it when its destination is gone or disabled
// (ensurePublishableDestination), make one attempt, log it, and on a failure schedule the
// next attempt when the event is eligible and the retry budget allows. At most
// DELIVERY_MAX_CONCURRENCY tasks are handled at once (internal/consumer/consumer.go).
// A due retry goes back to the delivery queue, behind what is already queued
// (internal/deliverymq/retry.go publishes it to deliverymq).

const epochNowMs = () => performance.timeOrigin + performance.now();

export class DeliveryWorker {
  private running = false;
  private readonly inFlight = new Map<DeliveryTask, { abort: AbortController; done: Promise<void> }>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly sender: WebhookSender;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly store: FakeStore,
    private readonly settings: FakeSettings,
    private readonly policy: RetryPolicy,
  ) {
    this.sender = new WebhookSender(settings.deliveryMaxConcurrency);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.running = true;
    for (const id of this.store.scheduledRetries.keys()) this.arm(id);
    this.pump();
  }

  // Like the outpost-server process going away: nothing more is taken from the queue, and
  // an attempt in flight is cut off. Its task was never acknowledged, so it goes back to the
  // head of the queue (RabbitMQ redelivers an unacked message); the destination may already
  // have seen the request, which is Outpost's at-least-once delivery.
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    const pending = [...this.inFlight.values()];
    for (const p of pending) p.abort.abort();
    await Promise.all(pending.map((p) => p.done));
  }

  enqueue(task: DeliveryTask): void {
    this.store.queue.push(task);
    this.pump();
  }

  // True when nothing is queued, in flight or scheduled for a retry.
  idle(): boolean {
    return this.store.queue.length === 0 && this.inFlight.size === 0 && this.store.scheduledRetries.size === 0;
  }

  whenIdle(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (!this.idle()) return;
    for (const w of this.waiters.splice(0)) w();
  }

  private scheduleRetry(task: DeliveryTask, delayMs: number): void {
    // RetryID = event:destination; scheduling again replaces the pending entry.
    const id = `${task.event.id}:${task.destinationId}`;
    this.store.scheduledRetries.set(id, { task, dueAtMs: Date.now() + delayMs });
    this.arm(id);
  }

  private arm(id: string): void {
    const entry = this.store.scheduledRetries.get(id);
    if (entry === undefined) return;
    clearTimeout(this.retryTimers.get(id));
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(id);
        this.store.scheduledRetries.delete(id);
        this.enqueue(entry.task);
      },
      Math.max(0, entry.dueAtMs - Date.now()),
    );
    this.retryTimers.set(id, timer);
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.settings.deliveryMaxConcurrency && this.store.queue.length > 0) {
      const task = this.store.queue.shift() as DeliveryTask;
      const abort = new AbortController();
      const done = this.handle(task, abort.signal).finally(() => {
        this.inFlight.delete(task);
        this.pump();
        this.notifyIfIdle();
      });
      this.inFlight.set(task, { abort, done });
    }
    this.notifyIfIdle();
  }

  private async handle(task: DeliveryTask, signal: AbortSignal): Promise<void> {
    const destination = this.store.destination(task.event.tenantId, task.destinationId);
    // A deleted or disabled destination: the task is acknowledged and dropped, no attempt.
    if (destination === undefined || destination.disabledAt !== null) return;
    const startedAtMs = epochNowMs();
    const request = buildWebhookRequest(
      destination,
      task.event,
      startedAtMs,
      this.settings.includeMillisecondTimestamp,
    );
    const outcome = await this.sender.send(request, this.settings.deliveryTimeoutSeconds * 1000, signal);
    if (outcome.kind === "aborted") {
      this.store.queue.unshift(task);
      return;
    }
    this.store.attempts.push({
      eventId: task.event.id,
      tenantId: task.event.tenantId,
      destinationId: task.destinationId,
      attempt: task.attempt,
      status: outcome.status,
      code: outcome.code,
      startedAtMs,
      endedAtMs: epochNowMs(),
    });
    if (outcome.status === "failed" && shouldRetry(this.policy, task.event.eligibleForRetry, task.attempt))
      this.scheduleRetry({ ...task, attempt: task.attempt + 1 }, this.policy.delayMsAfter(task.attempt));
  }
}
