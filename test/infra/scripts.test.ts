import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { type HelmInstall, helmInstalls, ROOT } from "./support/scripts";

// Charts that template their own Namespace unless a value says not to (grafana/k6-operator 4.6.0:
// values.yaml `namespace.create: true`, templates/namespace.yaml). kube-prometheus-stack has none.
const CREATES_NAMESPACE: Record<string, { value: string; byDefault: boolean }> = {
  "grafana/k6-operator": { value: "namespace.create", byDefault: true },
};

function valueAt(values: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);
}

// A chart value as Helm computes it: --set wins over the values files, the last file over earlier ones.
function effectiveValue(install: HelmInstall, path: string): unknown {
  const set = install.sets[path];
  if (set !== undefined) return set === "true" ? true : set === "false" ? false : set;
  let found: unknown;
  for (const f of install.valuesFiles) {
    const v = valueAt(load(readFileSync(join(ROOT, f), "utf8")), path);
    if (v !== undefined) found = v;
  }
  return found;
}

function helmFlagProblems(install: HelmInstall): string[] {
  const problems: string[] = [];
  const where = `${install.script}: ${install.chart}`;
  for (const f of install.valuesFiles) if (!existsSync(join(ROOT, f))) problems.push(`${where}: no values file ${f}`);
  const own = CREATES_NAMESPACE[install.chart];
  const chartCreates = own !== undefined && (effectiveValue(install, own.value) ?? own.byDefault) !== false;
  if (chartCreates && install.createNamespace)
    problems.push(`${where}: --create-namespace and the chart's own Namespace (${own.value}) collide`);
  // Helm stores its release record in the namespace before creating the chart's objects
  // (pkg/action/install.go), so a namespace only the chart creates is too late.
  const ns = install.namespace.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&");
  const scriptCreates = new RegExp(`(ensure_namespace|kubectl create namespace) "?${ns}\\b`).test(install.before);
  if (!install.createNamespace && !scriptCreates && install.namespace !== "default")
    problems.push(`${where}: namespace ${install.namespace} does not exist when Helm stores the release`);
  return problems;
}

describe("Helm installs in kind/scripts (static: helm and the charts are not available in CI)", () => {
  const installs = ["kind/scripts/distributed.sh", "kind/scripts/monitoring-up.sh"].flatMap(helmInstalls);

  it("finds the k6-operator and kube-prometheus-stack installs", () => {
    assert.deepEqual(installs.map((i) => i.chart).sort(), [
      "grafana/k6-operator",
      "prometheus-community/kube-prometheus-stack",
    ]);
  });

  it("passes no flag that fights a chart default, and the namespace exists before the release", () => {
    assert.deepEqual(installs.flatMap(helmFlagProblems), []);
  });

  it("would catch the flags this check was written against", () => {
    const k6 = installs.find((i) => i.chart === "grafana/k6-operator")!;
    assert.equal(helmFlagProblems({ ...k6, valuesFiles: [], sets: {} }).length, 1);
    assert.equal(helmFlagProblems({ ...k6, createNamespace: false }).length, 1);
  });
});
