import { createHmac } from "node:crypto";
import type { SignatureStatus } from "../src/runstate/store";

// Outpost's default webhook signature: `v0=` + comma-separated lowercase hex
// HMAC-SHA256 of the raw body, keyed with the whole secret string (`whsec_`
// included). During a rotation it sends one signature per valid secret.
export function signBody(body: Buffer | string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

export function checkSignature(body: Buffer, header: string | undefined, secret: string | undefined): SignatureStatus {
  if (!secret) return "unchecked";
  if (header === undefined || header === "") return "missing";
  if (!header.startsWith("v0=")) return "bad";
  const expected = signBody(body, secret);
  return header
    .slice(3)
    .split(",")
    .some((s) => s.trim() === expected)
    ? "ok"
    : "bad";
}
