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
  private readonly inFlight = new Map<DeliveryTask, Promise<void>>();
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

  // Like outpost-server on SIGTERM: nothing more is taken from the queue, and the attempts in
  // flight are finished (and their retries scheduled) before it stops. Outpost cancels its
  // context and waits for its workers (internal/app/app.go); measured: a stop while
  // deliveries are held at the destination repeats none of them (docs/conformance.md).
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    await Promise.all(this.inFlight.values());
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

  // Stopped, a retry stays in the store and is armed by start().
  private arm(id: string): void {
    const entry = this.store.scheduledRetries.get(id);
    if (entry === undefined || !this.running) return;
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
      const done = this.handle(task).finally(() => {
        this.inFlight.delete(task);
        this.pump();
        this.notifyIfIdle();
      });
      this.inFlight.set(task, done);
    }
    this.notifyIfIdle();
  }

  private async handle(task: DeliveryTask): Promise<void> {
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
    const outcome = await this.sender.send(request, this.settings.deliveryTimeoutSeconds * 1000);
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
