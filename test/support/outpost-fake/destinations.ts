import { randomBytes, randomUUID } from "node:crypto";
import type { FakeDestination, FakeStore } from "./model";
import { coercedStringMap, HttpError, isObject, optionalString, parseBody, validation } from "./request-body";
import type { FakeSettings } from "./settings";

// Webhook destinations as Outpost v1.2.0 creates and shows them
// (internal/apirouter/destination_handlers.go Create, internal/destregistry/baseprovider.go
// Validate, internal/destregistry/providers/destwebhook/destwebhook.go). Only the webhook
// type in default mode is modelled.

// The webhook secret is returned in plain text (destwebhook.go ObfuscateDestination).
export function destinationJson(d: FakeDestination): Record<string, unknown> {
  return {
    id: d.id,
    tenant_id: d.tenantId,
    type: "webhook",
    topics: d.topics,
    config: d.config,
    credentials: { secret: d.secret },
    ...(d.deliveryMetadata ? { delivery_metadata: d.deliveryMetadata } : {}),
    ...(d.metadata ? { metadata: d.metadata } : {}),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    disabled_at: d.disabledAt,
    target: d.url,
  };
}

// internal/models/serialization.go Topics.UnmarshalJSON: "*" or a list of strings.
function readTopics(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === "*") return ["*"];
  if (!Array.isArray(v) || !v.every((t) => typeof t === "string"))
    throw new HttpError(422, "validation failed: invalid topics format");
  return v as string[];
}

// internal/models/entities.go Topics.Validate with no TOPICS and no wildcards configured:
// a non-empty list of exact topics, or "*" alone.
function validTopics(topics: string[]): boolean {
  if (topics.length === 1 && topics[0] === "*") return true;
  return topics.length > 0 && !topics.some((t) => t.includes("*"));
}

// internal/models/entities.go Topics.MatchTopic.
export function topicsMatch(topics: string[], eventTopic: string): boolean {
  if (eventTopic === "" || eventTopic === "*" || (topics.length === 1 && topics[0] === "*")) return true;
  return topics.includes(eventTopic);
}

// destwebhook.go ValidateCustomHeaders; the messages are formatValidationError's.
const HEADER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const RESERVED_HEADERS = new Set(["content-type", "content-length", "host", "connection", "user-agent"]);

function customHeadersOf(config: Record<string, string>): Record<string, string> {
  const text = config.custom_headers;
  if (text === undefined || text === "") return {};
  let headers: unknown;
  try {
    headers = JSON.parse(text);
  } catch {
    headers = undefined;
  }
  if (!isObject(headers) || !Object.values(headers).every((v) => typeof v === "string"))
    throw validation(["config.custom_headers failed invalid validation"]);
  const problems = Object.entries(headers).flatMap(([name, value]) => {
    const field = `config.custom_headers.${name}`.toLowerCase();
    if (!HEADER_NAME.test(name)) return [`${field} failed pattern validation`];
    if (RESERVED_HEADERS.has(name.toLowerCase())) return [`${field} is forbidden`];
    return value === "" ? [`${field} is required`] : [];
  });
  if (problems.length > 0) throw validation(problems);
  return headers as Record<string, string>;
}

export function createDestination(
  store: FakeStore,
  settings: FakeSettings,
  tenantId: string,
  text: string,
  now: string,
): FakeDestination {
  const body = parseBody(text);
  const type = optionalString(body, "type");
  const topics = readTopics(body.topics);
  const id = optionalString(body, "id");
  const config = coercedStringMap(body.config) ?? {};
  const credentials = coercedStringMap(body.credentials) ?? {};
  const deliveryMetadata = coercedStringMap(body.delivery_metadata);
  const metadata = coercedStringMap(body.metadata);
  const required = [
    ...(type === "" ? ["type is required"] : []),
    ...(topics === undefined ? ["topics is required"] : []),
  ];
  if (required.length > 0) throw validation(required);
  if (!validTopics(topics as string[])) throw new HttpError(422, "validation failed: invalid topics");
  if (type !== "webhook") throw new HttpError(422, `no provider registered for destination type: ${type}`);
  const url = config.url ?? "";
  if (url === "") throw validation(["config.url is required"]);
  if (!/^https?:\/\/\S+$/.test(url)) throw validation(["config.url failed pattern validation"]);
  if (isObject(body.filter) && Object.keys(body.filter).length > 0)
    throw new HttpError(501, "outpost-fake does not model destination filters");
  const customHeaders = customHeadersOf(config);
  // Generated ids are UUIDs (internal/idgen, IDGEN_TYPE default).
  const destinationId = id || randomUUID();
  // Per tenant: the same id under another tenant is another destination
  // (internal/tenantstore/redistenantstore/redistenantstore.go CreateDestination).
  if (store.destination(tenantId, destinationId)) throw new HttpError(400, "destination already exists");
  if (store.tenantDestinations(tenantId).length >= settings.maxDestinationsPerTenant)
    throw new HttpError(400, "maximum number of destinations per tenant reached");
  const d: FakeDestination = {
    id: destinationId,
    tenantId,
    topics: [...new Set(topics)],
    config,
    url,
    customHeaders,
    // An admin may set the secret; else whsec_ + 64 hex (DESTINATIONS_WEBHOOK_SIGNING_SECRET_TEMPLATE).
    secret: credentials.secret || `whsec_${randomBytes(32).toString("hex")}`,
    deliveryMetadata,
    metadata,
    createdAt: now,
    updatedAt: now,
    disabledAt: null,
  };
  store.putDestination(d);
  return d;
}
