import { readFileSync } from "node:fs";
import { join } from "node:path";
import { METRICS } from "../../../src/publish/throughput-options";
import { ROOT } from "./scripts";

// The labels each k6 series carries in Prometheus (experimental-prometheus-rw turns every tag
// into a label), so that dashboards filter only on labels that exist.

// k6's default system tags (metrics/system_tag.go, DefaultSystemTagSet), by the samples that get them.
const SYSTEM_TAGS: Record<string, string[]> = {
  http: [
    "proto",
    "status",
    "method",
    "url",
    "name",
    "group",
    "error",
    "error_code",
    "tls_version",
    "scenario",
    "expected_response",
  ],
  iterations: ["group", "scenario"],
  dropped_iterations: ["scenario"],
  vus: [],
  custom: ["group", "scenario"], // a metric added from a VU, as publish_* and verify_* are
};

// Tags the code adds: adapters/k6/http.ts names each request; scenarios/throughput.ts tags
// publish_latency with verdict and publish_rejected with reason; verify.ts adds none.
export const CODE_TAGS: Record<string, string[]> = {
  http: ["name"],
  publish_latency: ["verdict"],
  publish_rejected: ["reason"],
};

// The tag keys the code passes to k6, read from the sources (to keep CODE_TAGS honest).
export function tagKeysInCode(): Record<string, string[]> {
  const read = (f: string): string => readFileSync(join(ROOT, f), "utf8");
  const found: Record<string, string[]> = {};
  const httpTags = /tags:[^{\n]*\{\s*(\w+):/.exec(read("adapters/k6/http.ts"));
  if (httpTags) found.http = [httpTags[1]];
  const throughput = read("scenarios/throughput.ts");
  const metricOf = new Map(
    [...throughput.matchAll(/const (\w+) = new \w+\(METRICS\.(\w+)/g)].map((m) => [m[1], m[2]] as [string, string]),
  );
  for (const m of throughput.matchAll(/(\w+)\.add\([^,)]+,\s*\{\s*(\w+):/g)) {
    const key = metricOf.get(m[1]) as keyof typeof METRICS | undefined;
    const metric = key ? METRICS[key] : m[1];
    found[metric] = [...(found[metric] ?? []), m[2]];
  }
  for (const f of ["scenarios/throughput.ts", "scenarios/verify.ts", "src/publish/throughput-options.ts"])
    if (/\btags\s*:/.test(read(f))) found[`options.tags in ${f}`] = ["?"];
  if (/\.add\([^)]*,\s*\{/.test(read("scenarios/verify.ts"))) found.verify = ["?"];
  return found;
}

// Labels of a k6_-prefixed series: the system tags of its kind, the code's own tags, and the
// run's --tag arguments.
export function k6Labels(metric: string, runTags: string[]): Set<string> {
  const name = metric.replace(/^k6_/, "");
  const kind = name.startsWith("http_")
    ? "http"
    : name.startsWith("iteration")
      ? "iterations"
      : name.startsWith("dropped_iterations")
        ? "dropped_iterations"
        : name === "vus" || name === "vus_max"
          ? "vus"
          : "custom";
  const own =
    kind === "http" ? CODE_TAGS.http : (Object.entries(CODE_TAGS).find(([m]) => name.startsWith(m))?.[1] ?? []);
  return new Set([...SYSTEM_TAGS[kind], ...own, ...runTags]);
}

// Label matchers of every selector in a PromQL expression, with the metric each applies to
// (from the selector's name or its __name__ matcher).
export function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\{([^}]*)\}/g)].map((m) => {
    const matchers = [...m[2].matchAll(/(\w+)\s*(?:=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)];
    const byName = matchers.find((x) => x[1] === "__name__")?.[2];
    return { metric: m[1] ?? byName ?? "", labels: matchers.map((x) => x[1]).filter((l) => l !== "__name__") };
  });
}

// The keys of the --tag arguments in a k6 command line (words, or one line of text).
export function runTagKeys(command: string[] | string): string[] {
  const words = typeof command === "string" ? command.split(/\s+/) : command;
  return words.flatMap((w, i) =>
    words[i - 1] === "--tag" ? [w.split("=")[0]] : w.startsWith("--tag=") ? [w.slice(6).split("=")[0]] : [],
  );
}

// The `k6 run` lines of the kind scripts that run a given bundle (dist/verify.js, ...).
export function k6RunLines(bundle: string): string[] {
  return ["cluster-up.sh", "distributed.sh"].flatMap((f) =>
    readFileSync(join(ROOT, "kind/scripts", f), "utf8")
      .split("\n")
      .filter((l) => /\bk6 run\b/.test(l) && l.includes(bundle)),
  );
}
