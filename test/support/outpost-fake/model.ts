// What the fake stores, split as Outpost v1.2.0 splits it: tenants, destinations,
// publish idempotency keys and scheduled retries live in Redis
// (internal/tenantstore/redistenantstore, internal/idempotence, internal/deliverymq/retry.go),
// queued deliveries in RabbitMQ's durable delivery queue (internal/mqinfra/rabbitmq.go),
// attempts in the log store. None of it belongs to the outpost-server process, so a
// restart of the process keeps all of it: FakeStore outlives stop() and start().

export interface FakeTenant {
  id: string;
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface FakeDestination {
  id: string;
  tenantId: string;
  topics: string[];
  // config as Outpost stores it: every value a string (internal/models/serialization.go MapStringString).
  config: Record<string, string>;
  url: string;
  customHeaders: Record<string, string>;
  secret: string;
  deliveryMetadata?: Record<string, string>;
  metadata?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
}

export interface FakeEvent {
  id: string;
  tenantId: string;
  topic: string;
  eligibleForRetry: boolean;
  time: string;
  metadata: Record<string, string>;
  // The `data` value of the publish request in the form Outpost delivers it (raw-json.ts goCompact).
  data: string;
}

export interface DeliveryTask {
  event: FakeEvent;
  destinationId: string;
  // 1-based, as models.DeliveryTask.Attempt.
  attempt: number;
}

export interface AttemptRecord {
  eventId: string;
  tenantId: string;
  destinationId: string;
  attempt: number;
  status: "success" | "failed";
  // The HTTP status as a string, or a network error kind ("timeout", "connection_refused", ...).
  code: string;
  startedAtMs: number;
  endedAtMs: number;
}

// A publish request as received (parsed JSON), kept for test assertions.
export interface PublishedEvent {
  id: string;
  tenant_id: string;
  topic: string;
  eligible_for_retry: boolean;
  metadata: Record<string, string>;
  data: Record<string, unknown>;
}

export class FakeStore {
  readonly tenants = new Map<string, FakeTenant>();
  private readonly destinationsByKey = new Map<string, FakeDestination>();
  // Event id -> expiry (ms). One key per event id, across tenants (internal/publishmq/eventhandler.go).
  readonly idempotencyKeys = new Map<string, number>();
  // RetryID (event:destination) -> due time; scheduling again replaces the entry (upsert).
  readonly scheduledRetries = new Map<string, { task: DeliveryTask; dueAtMs: number }>();
  readonly queue: DeliveryTask[] = [];
  readonly attempts: AttemptRecord[] = [];
  readonly published: PublishedEvent[] = [];

  private static key(tenantId: string, destinationId: string): string {
    return `${tenantId}\u0000${destinationId}`;
  }

  destination(tenantId: string, destinationId: string): FakeDestination | undefined {
    return this.destinationsByKey.get(FakeStore.key(tenantId, destinationId));
  }

  tenantDestinations(tenantId: string): FakeDestination[] {
    return [...this.destinationsByKey.values()].filter((d) => d.tenantId === tenantId);
  }

  allDestinations(): FakeDestination[] {
    return [...this.destinationsByKey.values()];
  }

  putDestination(d: FakeDestination): void {
    this.destinationsByKey.set(FakeStore.key(d.tenantId, d.id), d);
  }

  deleteDestination(tenantId: string, destinationId: string): void {
    this.destinationsByKey.delete(FakeStore.key(tenantId, destinationId));
  }
}
