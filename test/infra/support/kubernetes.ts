import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { runTool, runToolOk } from "./tools";

// The Kubernetes version of kind/cluster.yaml's node image.
export const KUBERNETES_VERSION = "1.32.0";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

export function renderKustomization(dir: string): string {
  return runToolOk("kubectl", ["kustomize", dir]);
}

export function parseObjects(yamlText: string): K8sObject[] {
  return (loadAll(yamlText) as (K8sObject | null)[]).filter((o): o is K8sObject => o !== null);
}

// Strict schema validation (unknown fields are errors) against the bundled schemas.
// Returns the problems, one line each; kinds without a bundled schema (CRDs) are problems too,
// unless allowed by name.
export function schemaProblems(yamlText: string, allowedUnknownKinds: string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), "olt-k8s-"));
  try {
    const file = join(dir, "objects.yaml");
    writeFileSync(file, yamlText);
    const r = runTool("kubernetes-validate", ["--strict", "-k", KUBERNETES_VERSION, "--quiet", file]);
    const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => /^(ERROR|WARN)/.test(l));
    const problems = lines.filter((l) => !allowedUnknownKinds.some((k) => l.includes(`kind ${k} `)));
    if (r.status !== 0 && problems.length === 0) problems.push(`kubernetes-validate exited ${r.status}: ${r.stderr}`);
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function containersOf(o: K8sObject): any[] {
  const pod = o.kind === "Job" || o.kind === "Deployment" ? o.spec.template.spec : null;
  return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
}

// $(VAR) references as the kubelet expands them: known names only, others stay as written.
function expandRefs(text: string, env: Record<string, string>): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => env[name] ?? ref);
}

// A container's `env` as the kubelet resolves it for one pod: downward-API fields of the pod, and
// $(VAR) references to variables defined earlier in the list (later or unknown ones stay as written).
export function resolvedEnv(container: any, pod: { name: string; uid: string }): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": pod.name, "metadata.uid": pod.uid };
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field !== undefined) env[e.name] = fields[field] ?? "";
    else if (e.value !== undefined) env[e.name] = expandRefs(String(e.value), env);
  }
  return env;
}

// OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value pairs (OpenTelemetry SDK configuration).
export function resourceAttributes(value: string | undefined): Record<string, string> {
  const pairs = (value ?? "").split(",").filter((p) => p.includes("="));
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf("=")).trim(), p.slice(p.indexOf("=") + 1).trim()]));
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// A Kubernetes resource quantity ("250m", "1", 2, "512Mi", "1e3") as a plain number (cores, bytes).
export function quantity(q: string | number): number {
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/.exec(String(q).trim());
  if (!m) throw new Error(`not a Kubernetes quantity: ${q}`);
  return Number(m[1]) * SUFFIX[m[2]];
}

// A container's args with $(VAR) references expanded from its env, as the kubelet does.
export function resolvedArgs(container: any, pod: { name: string; uid: string }): string[] {
  const env = resolvedEnv(container, pod);
  return (container.args ?? []).map((a: string) => expandRefs(String(a), env));
}
