import { randomUUID } from "node:crypto";
import type { DeliveryWorker } from "./delivery-worker";
import { topicsMatch } from "./destinations";
import type { FakeEvent, FakeStore, PublishedEvent } from "./model";
import { goCompact, rawMemberText } from "./raw-json";
import { HttpError, invalidJson, isObject, optionalString, parseBody, stringMap, validation } from "./request-body";
import type { FakeSettings } from "./settings";

// POST /api/v1/publish (internal/apirouter/publish_handlers.go Ingest,
// internal/publishmq/eventhandler.go Handle, internal/idempotence/idempotence.go).

export interface PublishAck {
  id: string;
  duplicate: boolean;
  destination_ids: string[];
}

export interface PublishDeps {
  store: FakeStore;
  settings: FakeSettings;
  worker: DeliveryWorker;
  // Scripted answers (a test control Outpost does not have).
  failPublish: Map<string, number>;
  now: string;
}

export function publish(deps: PublishDeps, text: string): { status: number; ack?: PublishAck } {
  const { store } = deps;
  const body = parseBody(text);
  const tenantId = optionalString(body, "tenant_id");
  const destinationId = optionalString(body, "destination_id");
  const topic = optionalString(body, "topic");
  const id = optionalString(body, "id") || randomUUID();
  const metadata = stringMap(body.metadata) ?? {};
  const eligible = body.eligible_for_retry;
  if (eligible !== undefined && eligible !== null && typeof eligible !== "boolean") throw invalidJson();
  const time = optionalString(body, "time");
  if (time !== "" && Number.isNaN(Date.parse(time))) throw new HttpError(422, `parsing time ${JSON.stringify(time)}`);
  const required = [
    ...(tenantId === "" ? ["tenant_id is required"] : []),
    ...("data" in body ? [] : ["data is required"]),
  ];
  if (required.length > 0) throw validation(required);
  if (!isObject(body.data)) throw validation(["data must be a valid JSON object"]);
  const failWith = deps.failPublish.get(id);
  if (failWith !== undefined) {
    deps.failPublish.delete(id);
    return { status: failWith };
  }
  const candidates =
    destinationId === ""
      ? store.tenantDestinations(tenantId)
      : [store.destination(tenantId, destinationId)].filter((d) => d !== undefined);
  const matched = candidates.filter((d) => d.disabledAt === null && topicsMatch(d.topics, topic)).map((d) => d.id);
  // Nothing matched: accepted, nothing enqueued, no idempotency key.
  if (matched.length > 0) {
    const expires = store.idempotencyKeys.get(id);
    if (expires !== undefined && expires > Date.now())
      return { status: 202, ack: { id, duplicate: true, destination_ids: matched } };
    store.idempotencyKeys.set(id, Date.now() + deps.settings.publishIdempotencyKeyTtlSeconds * 1000);
    const event: FakeEvent = {
      id,
      tenantId,
      topic,
      eligibleForRetry: eligible !== false,
      time: time || deps.now,
      metadata,
      data: goCompact(rawMemberText(text, "data") as string),
    };
    for (const destination of matched) deps.worker.enqueue({ event, destinationId: destination, attempt: 1 });
  }
  store.published.push(JSON.parse(text) as PublishedEvent);
  return { status: 202, ack: { id, duplicate: false, destination_ids: matched } };
}
