// Event payloads: a realistic JSON order of exactly PAYLOAD_BYTES bytes (ASCII).
// Everything but a fixed-width reference is built once, so an event costs two
// string concatenations.

const REF_DIGITS = 15;
const HEAD = '{"ref":"';
const NOTE_OPEN = ',"note":"';
const TAIL = '"}';
const MAX_ITEMS = 50;
const FILLER = "Please leave the parcel at the front desk if nobody answers the door. ";

// The smallest payload: the reference and an empty note.
export const MIN_PAYLOAD_BYTES = HEAD.length + REF_DIGITS + 1 + NOTE_OPEN.length + TAIL.length;

function item(i: number): string {
  const sku = `SKU-${String(10_000 + i * 37)}`;
  return `{"sku":"${sku}","name":"Item ${i + 1}","qty":${(i % 3) + 1},"unit_price":${1999 + i * 250}}`;
}

function itemsField(n: number): string {
  return `"items":[${Array.from({ length: n }, (_, i) => item(i)).join(",")}]`;
}

function fixedFields(createdAt: string): string[] {
  return [
    '"type":"order.created"',
    `"created_at":"${createdAt}"`,
    '"currency":"EUR"',
    '"customer":{"id":"cus_7Hq2LmX9","email":"buyer@example.com","country":"DE"}',
    '"shipping":{"method":"standard","address":{"line1":"Hauptstrasse 5","city":"Berlin","postal_code":"10115"}}',
  ];
}

// createdAt: an ISO timestamp shown in every payload (the run start).
export function createPayloadFactory(bytes: number, createdAt: string): (seq: number) => string {
  if (!Number.isInteger(bytes) || bytes < MIN_PAYLOAD_BYTES)
    throw new Error(`payload: at least ${MIN_PAYLOAD_BYTES} bytes needed, got ${bytes}`);
  let budget = bytes - MIN_PAYLOAD_BYTES;
  const all = fixedFields(createdAt);
  const fields: string[] = [];
  for (const f of all) {
    if (f.length + 1 > budget) break;
    fields.push(f);
    budget -= f.length + 1;
  }
  if (fields.length === all.length) {
    let n = 0;
    while (n < MAX_ITEMS && itemsField(n + 1).length + 1 <= budget) n++;
    if (n > 0) {
      fields.push(itemsField(n));
      budget -= itemsField(n).length + 1;
    }
  }
  const note = FILLER.repeat(Math.ceil(budget / FILLER.length)).slice(0, budget);
  const suffix = `"${fields.map((f) => `,${f}`).join("")}${NOTE_OPEN}${note}${TAIL}`;
  return (seq) => HEAD + String(seq).padStart(REF_DIGITS, "0") + suffix;
}
