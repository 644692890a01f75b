// Small HTML building blocks for the reports: everything printed goes through
// esc(), so a topic or an error message cannot break the page.

export function esc(v: string | number | boolean): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// A cell: plain text (escaped), or markup made by these helpers, with an optional class.
export type Cell = string | number | { html: string; cls?: string };

function cell(tag: "td" | "th", c: Cell): string {
  if (typeof c === "object") return `<${tag}${c.cls ? ` class="${esc(c.cls)}"` : ""}>${c.html}</${tag}>`;
  return `<${tag}${typeof c === "number" ? ' class="num"' : ""}>${esc(c)}</${tag}>`;
}

export function table(header: string[], rows: Cell[][], caption = ""): string {
  const head = `<tr>${header.map((h) => cell("th", h)).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => cell("td", c)).join("")}</tr>`).join("\n");
  return `<table>${caption ? `<caption>${esc(caption)}</caption>` : ""}<thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

// Two columns: name, value.
export function keyValues(rows: Array<[string, string | number | boolean]>): string {
  return table(
    ["setting", "value"],
    rows.map(([k, v]) => [k, typeof v === "number" ? v : String(v)]),
  );
}

export function section(id: string, title: string, ...content: string[]): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>\n${content.join("\n")}\n</section>`;
}

export function paragraph(text: string): string {
  return `<p>${esc(text)}</p>`;
}

// Headline figures as tiles.
export function tiles(items: Array<{ label: string; value: string; cls?: string }>): string {
  const parts = items.map(
    (t) =>
      `<div class="tile${t.cls ? ` ${esc(t.cls)}` : ""}"><div class="value">${esc(t.value)}</div><div class="label">${esc(t.label)}</div></div>`,
  );
  return `<div class="tiles">${parts.join("")}</div>`;
}

export const fmtMs = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v < 10 ? v.toFixed(2) : v.toFixed(1);

export const fmtCount = (v: number): string => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export const fmtPercent = (ratio: number | null, digits = 3): string =>
  ratio === null ? "–" : `${(ratio * 100).toFixed(digits)}%`;

export const isoTime = (epochMs: number | null): string =>
  epochMs === null ? "not recorded" : new Date(epochMs).toISOString().replace(".000Z", "Z");
