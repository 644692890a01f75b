import type { HttpPort } from "../ports";
import type { VerifyReport } from "../verify/report";
import { fetchResources, type WithResources } from "./prometheus-resources";

// Margin around a run's window, so the ramp up and the drain show in the charts.
const MARGIN_MS = 10_000;

// From the run's start to its last published or delivered second (else its
// recorded end, else when verify reported), with a margin on both sides.
export function runWindow(r: VerifyReport): { startMs: number; endMs: number } {
  const last = r.timeline[r.timeline.length - 1];
  const endMs = last !== undefined ? (last.second + 1) * 1000 : (r.runEnd.endedAtMs ?? Date.parse(r.generatedAt));
  return { startMs: r.run.startedAtMs - MARGIN_MS, endMs: endMs + MARGIN_MS };
}

// The report with the run window's resource series from the Prometheus at url.
export async function foldInResources(
  http: HttpPort,
  url: string,
  report: VerifyReport,
): Promise<VerifyReport & WithResources> {
  const w = runWindow(report);
  return { ...report, resources: await fetchResources(http, url, w.startMs, w.endMs) };
}
