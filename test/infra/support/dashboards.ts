import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const DASHBOARD_DIR = join(__dirname, "../../../monitoring/dashboards");

export interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { refId: string; expr: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  panels: Panel[];
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(join(DASHBOARD_DIR, file), "utf8")) as Omit<Dashboard, "file">),
    }));
}

// Panels at any depth (collapsed rows nest theirs).
export function allPanels(d: Dashboard): Panel[] {
  const walk = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...walk(p.panels ?? [])]);
  return walk(d.panels);
}

export interface PanelQuery {
  panel: string;
  expr: string;
}

export function queriesOf(d: Dashboard): PanelQuery[] {
  return allPanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: `${d.file} #${p.id} "${p.title}"`, expr: t.expr })),
  );
}

// What Grafana does before sending a query: interval macros become durations, and template
// variables (all set to "All") become the match-everything regex.
export function concreteQuery(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, "1m").replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ".*");
}
