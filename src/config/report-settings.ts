import { ConfigError, type Env, readString, readUrl } from "./env";

// PROMETHEUS_URL: where the reports find the run window's resource series
// (make local-up's Prometheus, or the cluster's); null when unset.
export function readPrometheusUrl(env: Env): string | null {
  if (readString(env, "PROMETHEUS_URL", "") === "") return null;
  return readUrl(env, "PROMETHEUS_URL", "");
}

export interface ReportSettings {
  // The verify report to read and, with PROMETHEUS_URL, to write back with its resources.
  summaryJson: string;
  summaryHtml: string | null;
  prometheusUrl: string | null;
}

// tools/report.ts (make report): a verify JSON in, resources folded in, HTML out.
export function readReportSettings(env: Env): ReportSettings {
  const summaryJson = readString(env, "SUMMARY_JSON", "");
  if (summaryJson === "")
    throw new ConfigError("SUMMARY_JSON is required for report: expected the path of a verify JSON report");
  const html = readString(env, "SUMMARY_HTML", "");
  return { summaryJson, summaryHtml: html === "" ? null : html, prometheusUrl: readPrometheusUrl(env) };
}
