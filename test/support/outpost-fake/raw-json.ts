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
