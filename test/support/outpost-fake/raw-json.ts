import { type Expression, parseExpressionAt } from "acorn";

// Outpost keeps an event's `data` as json.RawMessage: the bytes of the value exactly as
// published (key order, spacing, number spelling), and delivers those bytes as the body
// (internal/models/serialization.go Data). JSON.parse would lose them, so the value's
// span is taken from acorn's syntax tree of the (already validated) JSON text.
// With a repeated key the last one wins, as in Go's encoding/json.
export function rawMemberText(json: string, key: string): string | undefined {
  const expr = parseExpressionAt(json, 0, { ecmaVersion: 2020 }) as Expression;
  if (expr.type !== "ObjectExpression") return undefined;
  let text: string | undefined;
  for (const p of expr.properties) {
    if (p.type === "Property" && p.key.type === "Literal" && p.key.value === key)
      text = json.slice(p.value.start, p.value.end);
  }
  return text;
}

// What Go's json.Marshal makes of a json.RawMessage (encoding/json appendCompact with
// escapeHTML): whitespace between tokens dropped, <, >, & and U+2028/U+2029 written as
// \u escapes, everything else (key order, number spelling, other escapes) kept. Outpost
// marshals the event into its delivery queue, so the body a destination gets is the
// published data in this form (measured against Outpost v1.2.0: docs/conformance.md).
const HTML_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

export function goCompact(json: string): string {
  let out = "";
  let inString = false;
  let escaped = false;
  for (const c of json) {
    if (HTML_ESCAPES[c] !== undefined) {
      out += HTML_ESCAPES[c];
      continue;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      continue;
    } else if (c === '"') {
      inString = true;
    }
    out += c;
  }
  return out;
}
