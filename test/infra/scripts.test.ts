import { strict as assert } from "node:assert";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { fakeTools } from "./support/fake-tools";
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

describe("make distributed waits for the TestRun, and fails fast when its pods stay Pending (fake kubectl)", () => {
  // kubectl answers the TestRun's stage from FAKE/stages (one line per call, the last one repeats)
  // and the Pending pods from FAKE/pods, lines as the script's jsonpath prints them (checked once
  // with client-go's jsonpath, which kubectl uses, on Pending pods' JSON); sleep returns at once
  // and stops a runaway loop.
  const tools = fakeTools({
    kubectl: `case "$*" in
  *"get testrun"*) n=$(grep -c "get testrun" "$FAKE/calls.log"); line=$(sed -n "\${n}p" "$FAKE/stages"); printf '%s' "\${line:-$(tail -n 1 "$FAKE/stages")}" ;;
  *"get pods"*) cat "$FAKE/pods" ;;
esac`,
    sleep: `[ "$(grep -c '^sleep' "$FAKE/calls.log")" -lt 20 ] || exit 1`,
  });
  after(() => tools.remove());

  function waitFor(stages: string[], pods: string[], env: Record<string, string> = {}) {
    writeFileSync(join(tools.dir, "calls.log"), "");
    writeFileSync(join(tools.dir, "stages"), `${stages.join("\n")}\n`);
    writeFileSync(join(tools.dir, "pods"), pods.map((p) => `${p}\n`).join(""));
    const r = tools.run("source kind/scripts/wait-testrun.sh; wait_for_testrun throughput", env);
    return { ...r, sleeps: tools.calls().filter((c) => c.startsWith("sleep")).length };
  }

  it("returns once the stage is finished, while runners' containers are still being created", () => {
    const r = waitFor(["created", "started", "finished"], ["throughput-1-abc\tContainerCreating:  "], {
      RUNNER_PENDING_SECONDS: "0",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.sleeps, 2);
  });

  it("fails at once with the scheduler's reason when a runner cannot be placed", () => {
    const reason = "Unschedulable: 0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available.";
    const r = waitFor(["created"], [`throughput-2-xyz\t${reason} `], { RUNNER_PENDING_SECONDS: "0" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /throughput-2-xyz: Unschedulable: 0\/1 nodes are available: 1 Insufficient cpu/);
    assert.match(r.stderr, /stayed Pending for 0s \(stage 'created'\)/);
    assert.equal(r.sleeps, 0);
  });

  it("fails with the container's reason when an image was never loaded", () => {
    const why =
      'ErrImageNeverPull: Container image "outpost-loadtest/k6-runner:dev" is not present with pull policy of Never ';
    const r = waitFor(["initialization"], [`throughput-initializer-q\t${why}`], { RUNNER_PENDING_SECONDS: "0" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /throughput-initializer-q: ErrImageNeverPull/);
  });

  it("waits RUNNER_PENDING_SECONDS before giving up on a Pending pod", () => {
    const r = waitFor(["created"], ["throughput-1-abc\tUnschedulable: 0/1 nodes are available "], {
      RUNNER_PENDING_SECONDS: "3600",
    });
    // Only the fake sleep's runaway guard ends this wait.
    assert.equal(r.status, 1);
    assert.equal(r.sleeps, 20);
  });

  it("fails on stage error", () => {
    const r = waitFor(["created", "error"], []);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /stage 'error'/);
  });

  it("refuses a bad RUNNER_PENDING_SECONDS in one line, before touching anything", () => {
    writeFileSync(join(tools.dir, "calls.log"), "");
    const r = tools.run("./kind/scripts/distributed.sh", { RUNNER_PENDING_SECONDS: "soon" });
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr.trim(),
      "error: RUNNER_PENDING_SECONDS=soon is invalid: accepted values are whole numbers of seconds from 0",
    );
    assert.deepEqual(tools.calls(), []);
  });
});

describe("images reach kind through `docker save` + `kind load image-archive` (fake docker and kind)", () => {
  // docker: `image save --help` lists --platform when FAKE/modern exists; inspect answers the
  // image's platform; save writes the archive. kind records whether the archive exists when loaded.
  const tools = fakeTools({
    docker: `case "$*" in
  "image save --help") [ -e "$FAKE/modern" ] && echo "      --platform string   Save only the given platform" ;;
  "image inspect"*) echo linux/arm64 ;;
  "image save"*) out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; echo image >"$out" ;;
esac`,
    kind: `[ "$1 $2" = "load image-archive" ] && [ -s "$3" ] && echo "archive present" >>"$FAKE/kind-saw"`,
  });
  after(() => tools.remove());

  function load(modern: boolean) {
    for (const f of ["calls.log", "kind-saw"]) writeFileSync(join(tools.dir, f), "");
    if (modern) writeFileSync(join(tools.dir, "modern"), "");
    else rmSync(join(tools.dir, "modern"), { force: true });
    const r = tools.run('load_image "$MOCK_IMAGE"', { TMPDIR: tools.dir });
    assert.equal(r.status, 0, r.stderr);
    const calls = tools.calls().filter((c) => !c.endsWith("--help"));
    const archive = /-o (\S+)/.exec(calls.find((c) => c.startsWith("docker image save"))!)![1];
    assert.equal(readFileSync(join(tools.dir, "kind-saw"), "utf8"), "archive present\n");
    assert.ok(!existsSync(archive), "the archive is removed afterwards");
    return calls.map((c) => c.replace(archive, "ARCHIVE"));
  }

  it("saves only the image's platform when Docker can (28+), then loads the archive", () => {
    assert.deepEqual(load(true), [
      "docker image inspect -f {{.Os}}/{{.Architecture}} outpost-loadtest/mock-webhook:dev",
      "docker image save --platform linux/arm64 -o ARCHIVE outpost-loadtest/mock-webhook:dev",
      "kind load image-archive ARCHIVE --name outpost-loadtest",
    ]);
  });

  it("saves plainly with an older Docker", () => {
    assert.deepEqual(load(false), [
      "docker image save -o ARCHIVE outpost-loadtest/mock-webhook:dev",
      "kind load image-archive ARCHIVE --name outpost-loadtest",
    ]);
  });

  it("is how every script loads images (no `kind load docker-image`, kubernetes-sigs/kind issue 3795)", () => {
    for (const script of ["cluster-up.sh", "distributed.sh", "monitoring-up.sh", "common.sh"]) {
      const text = readFileSync(join(ROOT, "kind/scripts", script), "utf8");
      assert.doesNotMatch(text.replace(/^\s*#.*$/gm, ""), /kind load docker-image/, script);
    }
  });
});

describe("make cluster's prerequisites (fake docker, kind, kubectl, helm; no k6 on PATH)", () => {
  // kind stops the script where it would create the cluster: everything before it ran.
  const tools = fakeTools({
    docker: "true",
    kubectl: "true",
    helm: "true",
    kind: `case "$1 $2" in "get clusters") ;; "create cluster") exit 3 ;; esac`,
  });
  after(() => tools.remove());

  it("gets past its checks without k6, which it never runs", () => {
    const env = { PATH: "/usr/bin:/bin", SIZE: "small" };
    assert.notEqual(tools.run("command -v k6", env).status, 0, "this check needs a PATH without k6");
    const r = tools.run("./kind/scripts/cluster-up.sh", env);
    assert.doesNotMatch(r.stderr, /missing prerequisite/);
    assert.equal(r.status, 3, r.stderr);
    assert.ok(tools.calls().some((c) => c.startsWith("kind create cluster")));
  });
});
