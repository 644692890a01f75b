import type { CapacitySettings } from "../config/capacity-settings";
import type { ResourceReport } from "../resources/prometheus-resources";
import type { CapacityStep } from "./capacity-step";
import { analyseSteps, type CapacityFindings } from "./knee";

// What make capacity writes to CAPACITY_JSON (and renders as text and HTML).
export interface CapacityReport {
  generatedAt: string;
  search: {
    rates: number[];
    stepDurationMs: number;
    sloE2eP99Ms: number;
    // The cores a process group's CPU is measured against (not Redis: one core).
    cpuCores: number;
    // Settings the steps ran with (k6 and verify), without secrets.
    settings: Record<string, string>;
  };
  steps: CapacityStep[];
  findings: CapacityFindings;
  // With PROMETHEUS_URL: the whole search window's series (each step has its share).
  resources: ResourceReport | null;
}

export function buildCapacityReport(
  settings: CapacitySettings,
  steps: CapacityStep[],
  resources: ResourceReport | null,
  context: { cpuCores: number; settings: Record<string, string>; nowMs: number },
): CapacityReport {
  return {
    generatedAt: new Date(context.nowMs).toISOString(),
    search: {
      rates: settings.rates,
      stepDurationMs: settings.stepDurationMs,
      sloE2eP99Ms: settings.sloE2eP99Ms,
      cpuCores: context.cpuCores,
      settings: context.settings,
    },
    steps,
    findings: analyseSteps(steps, context.cpuCores),
    resources,
  };
}
