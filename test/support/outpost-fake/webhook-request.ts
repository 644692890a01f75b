import { signBody } from "../../../mock-webhook/signature";
import type { FakeDestination, FakeEvent } from "./model";

// The HTTP request Outpost v1.2.0 sends to a webhook destination in default mode
// (internal/destregistry/providers/destwebhook/destwebhook.go WebhookPublisher.Format,
// internal/destregistry/basepublisher.go MakeMetadata).

export const HEADER_PREFIX = "x-outpost-";
// Outpost sends `Outpost/<version>` (internal/config/destinations.go); the fake says what it is.
export const FAKE_USER_AGENT = "outpost-fake";

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

// Go's http.Header.Set canonicalises names (textproto.CanonicalMIMEHeaderKey), so two
// names differing only in case are one header and the later Set wins.
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

// RFC3339 with nanosecond precision and trailing zeros trimmed, as Go's time.RFC3339Nano
// formats a UTC time. Node's clock gives microseconds at best.
export function rfc3339Nano(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const seconds = new Date(wholeMs).toISOString().slice(0, 19);
  const nanos = Math.round((epochMs - Math.floor(epochMs / 1000) * 1000) * 1_000_000);
  const fraction = nanos === 0 ? "" : `.${String(Math.min(nanos, 999_999_999)).padStart(9, "0").replace(/0+$/, "")}`;
  return `${seconds}${fraction}Z`;
}

export function rfc3339Seconds(epochMs: number): string {
  return `${new Date(Math.floor(epochMs)).toISOString().slice(0, 19)}Z`;
}

export function buildWebhookRequest(
  destination: FakeDestination,
  event: FakeEvent,
  nowMs: number,
  includeMillisecondTimestamp: boolean,
): WebhookRequest {
  const body = Buffer.from(event.data, "utf8");
  const headers = new Map<string, string>();
  const set = (name: string, value: string) => headers.set(canonicalHeaderName(name), value);
  set("Content-Type", "application/json");
  set("User-Agent", FAKE_USER_AGENT);
  // custom_headers first, so metadata headers win a clash.
  for (const [k, v] of Object.entries(destination.customHeaders)) set(k, v);
  // Metadata precedence: system < destination delivery_metadata < event metadata.
  const metadata: Record<string, string> = {
    timestamp: rfc3339Seconds(nowMs),
    "event-id": event.id,
    topic: event.topic,
    ...(includeMillisecondTimestamp ? { "timestamp-ms": rfc3339Nano(nowMs) } : {}),
    ...destination.deliveryMetadata,
    ...event.metadata,
  };
  for (const [k, v] of Object.entries(metadata)) set(HEADER_PREFIX + k, v);
  // Default signature: `v0=` + hex HMAC-SHA256 of the raw body keyed with the whole secret
  // (destwebhook/signature.go); no rotation is modelled, so there is one signature.
  set(`${HEADER_PREFIX}signature`, `v0=${signBody(body, destination.secret)}`);
  return {
    url: destination.url,
    headers: Object.fromEntries(headers),
    body,
  };
}
