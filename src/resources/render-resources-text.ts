import { formatResource } from "../report/resources-html";
import { table } from "../verify/render-text";
import type { ResourceReport } from "./prometheus-resources";

// The resource series as text: mean and max of each over the run window.
export function renderResourcesText(res: ResourceReport): string {
  const lines = [
    `Resources from ${res.prometheusUrl}, ${new Date(res.startMs).toISOString()} to ${new Date(res.endMs).toISOString()}:`,
    ...table(
      ["resource", "series", "mean", "max"],
      res.series.map((s) => [s.title, s.name, formatResource(s.mean, s.unit), formatResource(s.max, s.unit)]),
    ),
  ];
  if (res.empty.length > 0) lines.push(`  no data: ${res.empty.join(", ")}`);
  if (res.errors.length > 0) lines.push(`  failed: ${res.errors.join("; ")}`);
  return `${lines.join("\n")}\n`;
}
