import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { type K8sObject, parseObjects, quantity, renderKustomization } from "./support/kubernetes";
import { ROOT, renderTestRun } from "./support/scripts";

interface Requests {
  cpu: number; // cores
  memory: number; // bytes
}

const Mi = 2 ** 20;
const Gi = 2 ** 30;
const SIZES = ["small", "medium", "large"] as const;
// The hosts the sizes are promised for (README, docs/infra.md): cores of the Docker host.
const HOST_CORES = { small: 4, medium: 8, large: 16 };
// Requests may take this much of the host; the rest is for the kind node's own processes
// (containerd, kubelet), Docker and the host, none of which appear as pod requests.
const HEADROOM = { cpu: 0.8, memory: 0.75 };

const add = (...rs: Requests[]): Requests => ({
  cpu: rs.reduce((s, r) => s + r.cpu, 0),
  memory: rs.reduce((s, r) => s + r.memory, 0),
});
const times = (r: Requests, n: number): Requests => ({ cpu: r.cpu * n, memory: r.memory * n });

function requestsOf(resources: any): Requests {
  const req = resources?.requests ?? {};
  return {
    cpu: req.cpu === undefined ? 0 : quantity(req.cpu),
    memory: req.memory === undefined ? 0 : quantity(req.memory),
  };
}

// What kind runs on its node besides us (node image kindest/node v1.32.2, kind v0.27.0): kubeadm's
// static pods (cmd/kubeadm/app/phases/controlplane/manifests.go: kube-apiserver 250m,
// kube-controller-manager 200m, kube-scheduler 100m; cmd/kubeadm/app/phases/etcd/local.go: etcd
// 100m, 100Mi), two CoreDNS replicas (cmd/kubeadm/app/phases/addons/dns/manifests.go: 100m, 70Mi)
// and kindnet (kind, pkg/build/nodeimage/const_cni.go: 100m, 50Mi). kube-proxy and
// local-path-provisioner request nothing.
const KIND_NODE: Requests = add(
  { cpu: 0.25 + 0.2 + 0.1, memory: 0 },
  { cpu: 0.1, memory: 100 * Mi },
  times({ cpu: 0.1, memory: 70 * Mi }, 2),
  { cpu: 0.1, memory: 50 * Mi },
);

// A pod as the scheduler counts it: its containers together, or its largest init container.
function podRequests(spec: any): Requests {
  const app = add(...spec.containers.map((c: any) => requestsOf(c.resources)));
  const init = (spec.initContainers ?? []).map((c: any) => requestsOf(c.resources));
  return {
    cpu: Math.max(app.cpu, ...init.map((r: Requests) => r.cpu)),
    memory: Math.max(app.memory, ...init.map((r: Requests) => r.memory)),
  };
}

// Long-running workloads on the one node. Jobs are left out: the migration Job completes before
// Outpost starts (cluster-up.sh waits for it), and the TestRun's initializer before its runners.
function workloads(objects: K8sObject[]): Requests {
  const running = objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind));
  return add(
    ...running.map((o) =>
      times(podRequests(o.spec.template.spec), o.kind === "DaemonSet" ? 1 : (o.spec.replicas ?? 1)),
    ),
  );
}

function readYaml(path: string): any {
  return load(readFileSync(join(ROOT, path), "utf8"));
}

const valueAt = (values: any, path: string): any => path.split(".").reduce((v, k) => v?.[k], values);

// kube-prometheus-stack's containers and the value that sizes each (listed once from
// `helm template` of chart 67.8.0 with monitoring/kube-prometheus-stack/values.yaml).
const KPS_CONTAINERS = [
  { value: "prometheus.prometheusSpec.resources", count: 1 },
  { value: "prometheusOperator.prometheusConfigReloader.resources", count: 1 },
  { value: "prometheusOperator.resources", count: 1 },
  { value: "grafana.resources", count: 1 },
  { value: "grafana.sidecar.resources", count: 2 },
  { value: "kube-state-metrics.resources", count: 1 },
  { value: "prometheus-node-exporter.resources", count: 1 },
];

function monitoring(): Requests {
  const values = readYaml("monitoring/kube-prometheus-stack/values.yaml");
  const kps = KPS_CONTAINERS.map(({ value, count }) => {
    const r = requestsOf(valueAt(values, value));
    assert.ok(r.cpu > 0 && r.memory > 0, `monitoring/kube-prometheus-stack/values.yaml: no requests at ${value}`);
    return times(r, count);
  });
  return add(...kps, workloads(parseObjects(renderKustomization(join(ROOT, "monitoring")))));
}

// The k6-operator's manager (kind/k6-operator/values.yaml), and the TestRun's runners and starter.
function k6(parallelism: number): Requests {
  const manager = readYaml("kind/k6-operator/values.yaml").manager;
  const testRun = renderTestRun(parallelism, "run-sizing").spec;
  return add(
    times(requestsOf(manager.resources), manager.replicas ?? 1),
    times(requestsOf(testRun.runner.resources), parallelism),
    requestsOf(testRun.starter.resources),
  );
}

interface SizeRow {
  size: string;
  hostCores: number;
  hostMemory: number;
  parallelism: number;
  cpu: string;
  memory: string;
}

// docs/infra.md's SIZE → host table: | SIZE | Docker host | PARALLELISM | CPU requested | memory requested |
function docsTable(): SizeRow[] {
  const text = readFileSync(join(ROOT, "docs/infra.md"), "utf8");
  const table = text.split("\n").flatMap((l) => {
    const m =
      /^\|\s*(small|medium|large)\s*\|\s*(\d+) cores, (\d+) GiB\s*\|\s*(\d+)\s*\|\s*([\d.]+) cores\s*\|\s*([\d.]+) GiB\s*\|$/.exec(
        l.trim(),
      );
    return m
      ? [
          {
            size: m[1],
            hostCores: Number(m[2]),
            hostMemory: Number(m[3]) * Gi,
            parallelism: Number(m[4]),
            cpu: m[5],
            memory: m[6],
          },
        ]
      : [];
  });
  assert.deepEqual(
    table.map((r) => r.size),
    [...SIZES],
    "docs/infra.md needs one row per SIZE: | small | 4 cores, 8 GiB | 2 | 2.93 cores | 3.7 GiB |",
  );
  return table;
}

describe("requests per SIZE fit the host docs/infra.md names, with headroom", function () {
  this.timeout(60_000);
  let rows: SizeRow[] = [];
  let shared: Requests;
  before(() => {
    rows = docsTable();
    shared = add(KIND_NODE, monitoring());
  });

  it("README's SIZE table names the same hosts and PARALLELISM", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const row of rows) {
      const line = readme.split("\n").find((l) => new RegExp(`^\\|\\s*${row.size}\\b`).test(l));
      const cells = line?.split("|").map((c) => c.trim());
      assert.ok(cells, `README has no SIZE row for ${row.size}`);
      assert.ok(cells.includes(`${row.hostCores} cores, ${row.hostMemory / Gi} GiB`), `README: ${line}`);
      assert.equal(cells[cells.length - 2], String(row.parallelism), `README: ${line}`);
    }
  });

  for (const size of SIZES) {
    it(`SIZE=${size}: kind, monitoring, the operator, the runners and the stack`, () => {
      const row = rows.find((r) => r.size === size)!;
      assert.equal(row.hostCores, HOST_CORES[size], `SIZE=${size} is promised for ${HOST_CORES[size]} cores`);
      const stack = workloads(parseObjects(renderKustomization(join(ROOT, "kind/sizes", size))));
      const total = add(shared, k6(row.parallelism), stack);
      const cpu = total.cpu.toFixed(2);
      const memory = (total.memory / Gi).toFixed(1);
      assert.deepEqual(
        { cpu: row.cpu, memory: row.memory },
        { cpu, memory },
        `docs/infra.md's ${size} row is out of date: ${cpu} cores, ${memory} GiB requested`,
      );
      assert.ok(
        total.cpu <= HEADROOM.cpu * row.hostCores,
        `${size}: ${cpu} cores requested on a ${row.hostCores}-core host (at most ${HEADROOM.cpu * 100}%)`,
      );
      assert.ok(
        total.memory <= HEADROOM.memory * row.hostMemory,
        `${size}: ${memory} GiB requested on a ${row.hostMemory / Gi} GiB host (at most ${HEADROOM.memory * 100}%)`,
      );
    });
  }
});
