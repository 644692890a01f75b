import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { readThroughputSettings } from "../../src/config/throughput-settings";
import {
  containersOf,
  type K8sObject,
  parseObjects,
  quantity,
  renderKustomization,
  resolvedArgs,
  resolvedEnv,
  resourceAttributes,
  schemaProblems,
} from "./support/kubernetes";
import { redisMaxmemory } from "./support/redis-config";
import { renderTestRun } from "./support/scripts";
import { runToolOk } from "./support/tools";

const ROOT = join(__dirname, "../..");
const SIZES = ["small", "medium", "large"] as const;
const OUTPOST_IMAGE = "hookdeck/outpost:v1.2.0";

function readYaml<T>(path: string): T {
  return load(readFileSync(join(ROOT, path), "utf8")) as T;
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is missing`);
  return o;
}

function outpostEnv(objects: K8sObject[]): Record<string, string> {
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("outpost-env"));
  assert.ok(cm?.data, "the outpost-env ConfigMap is missing");
  return cm.data;
}

// Every OTLP endpoint variable in ConfigMaps and container env (generic and per signal).
function otlpEndpoints(objects: K8sObject[]): { where: string; value: string }[] {
  const isEndpoint = (name: string): boolean => /^OTEL_EXPORTER_OTLP(_[A-Z]+)?_ENDPOINT$/.test(name);
  const found: { where: string; value: string }[] = [];
  for (const o of objects) {
    for (const [name, value] of Object.entries(o.kind === "ConfigMap" ? (o.data ?? {}) : {}))
      if (isEndpoint(name)) found.push({ where: `ConfigMap/${o.metadata.name} ${name}`, value });
    for (const c of containersOf(o))
      for (const e of c.env ?? [])
        if (isEndpoint(e.name)) found.push({ where: `${o.metadata.name}/${c.name} ${e.name}`, value: e.value });
  }
  return found;
}

// The OpenTelemetry Go SDK reads these variables as URLs (Outpost passes no options to
// otlpmetricgrpc.New, internal/otel/exporter.go): a value without scheme parses with an empty host.
// WHATWG URL parsing in Node fails the same way ("host:4317" has scheme "host:" and no hostname).
function otlpEndpointProblem(value: string, collector: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `"${value}" has scheme "${url.protocol}", not http: or https:`;
  if (url.host !== collector) return `"${value}" points at "${url.host}", not the collector's OTLP port ${collector}`;
  return null;
}

describe("kind manifests (kubectl kustomize + kubernetes-validate, offline)", function () {
  this.timeout(60_000);
  const rendered = new Map<string, string>();
  before(() => {
    for (const size of SIZES) rendered.set(size, renderKustomization(join(ROOT, "kind/sizes", size)));
  });

  for (const size of SIZES) {
    it(`SIZE=${size} renders objects that pass strict Kubernetes schema validation`, () => {
      assert.deepEqual(schemaProblems(rendered.get(size)!), []);
    });
  }

  it("labels every object with the apply stage, and Outpost comes after its migration Job", () => {
    for (const size of SIZES) {
      for (const o of parseObjects(rendered.get(size)!)) {
        const stage = o.metadata.labels?.["olt.stage"];
        assert.ok(
          stage === "deps" || stage === "outpost",
          `${size}: ${o.kind}/${o.metadata.name} has olt.stage=${stage}; cluster-up.sh would never apply it`,
        );
        const isOutpostServer =
          o.kind === "Deployment" && o.metadata.name.startsWith("outpost-") && !o.metadata.name.endsWith("redis");
        assert.equal(
          stage === "outpost",
          isOutpostServer || (o.kind === "Service" && o.metadata.name === "outpost-api"),
          `${o.kind}/${o.metadata.name}`,
        );
      }
    }
  });

  it("runs outpost migrate apply --yes with the same image and env as the Outpost Deployments", () => {
    const objects = parseObjects(rendered.get("small")!);
    const [migrate] = containersOf(find(objects, "Job", "outpost-migrate"));
    assert.deepEqual(migrate.args, ["migrate", "apply", "--yes"]);
    for (const component of ["api", "delivery", "log"]) {
      const [c] = containersOf(find(objects, "Deployment", `outpost-${component}`));
      assert.equal(c.image, OUTPOST_IMAGE);
      assert.equal(migrate.image, c.image);
      assert.deepEqual(migrate.envFrom, c.envFrom);
      assert.deepEqual(c.env.find((e: { name: string }) => e.name === "SERVICE")?.value, component);
    }
  });

  it("gives every container requests and limits, and uses no Bitnami image", () => {
    for (const size of SIZES) {
      for (const o of parseObjects(rendered.get(size)!)) {
        for (const c of containersOf(o)) {
          assert.ok(
            c.resources?.limits?.cpu && c.resources?.limits?.memory,
            `${size}: ${o.metadata.name}/${c.name} has no CPU or memory limit`,
          );
          assert.ok(
            c.resources?.requests?.cpu && c.resources?.requests?.memory,
            `${size}: ${o.metadata.name}/${c.name} has no requests`,
          );
          assert.doesNotMatch(c.image, /bitnami/);
        }
      }
    }
  });

  it("grows Outpost's replicas and concurrency knobs from small to medium to large", () => {
    const knobs = SIZES.map((size) => {
      const objects = parseObjects(rendered.get(size)!);
      const env = outpostEnv(objects);
      return {
        delivery: Number(env.DELIVERY_MAX_CONCURRENCY),
        log: Number(env.LOG_MAX_CONCURRENCY),
        replicas: find(objects, "Deployment", "outpost-delivery").spec.replicas as number,
      };
    });
    for (let i = 1; i < knobs.length; i++) {
      assert.ok(knobs[i].delivery > knobs[i - 1].delivery, JSON.stringify(knobs));
      assert.ok(knobs[i].log >= knobs[i - 1].log, JSON.stringify(knobs));
      assert.ok(knobs[i].replicas >= knobs[i - 1].replicas, JSON.stringify(knobs));
    }
    assert.ok(knobs[0].delivery > 1, "DELIVERY_MAX_CONCURRENCY must be raised from Outpost's default of 1");
  });

  it("sets PUBLISH_MAX_CONCURRENCY only with a publish queue, the only thing it sizes", () => {
    // internal/config/publishmq.go: the publish queue settings; internal/services/builder.go
    // starts the publishmq consumer (and reads PUBLISH_MAX_CONCURRENCY) only when one is set.
    const publishQueue = /^PUBLISH_(RABBITMQ|AWS_SQS|GCP_PUBSUB|AZURE_SERVICEBUS)_/;
    for (const size of SIZES) {
      const env = outpostEnv(parseObjects(rendered.get(size)!));
      const names = Object.keys(env);
      if (!names.some((n) => publishQueue.test(n)))
        assert.ok(!names.includes("PUBLISH_MAX_CONCURRENCY"), `${size}: PUBLISH_MAX_CONCURRENCY does nothing here`);
    }
  });

  it("exposes Outpost, the mock and run-state Redis on the host ports the scenarios use by default", () => {
    type Mapping = { containerPort: number; hostPort: number; listenAddress: string };
    const cluster = readYaml<{ kind: string; apiVersion: string; nodes: { extraPortMappings: Mapping[] }[] }>(
      "kind/cluster.yaml",
    );
    assert.equal(cluster.kind, "Cluster");
    assert.equal(cluster.apiVersion, "kind.x-k8s.io/v1alpha4");
    const mappings = cluster.nodes.flatMap((n) => n.extraPortMappings);
    for (const m of mappings) assert.equal(m.listenAddress, "127.0.0.1");
    const hostPortOf = (nodePort: number): number | undefined =>
      mappings.find((m) => m.containerPort === nodePort)?.hostPort;
    const objects = parseObjects(rendered.get("small")!);
    const nodePort = (service: string): number => find(objects, "Service", service).spec.ports[0].nodePort;

    const defaults = readThroughputSettings({});
    const port = (url: string): number => Number(new URL(url).port);
    assert.equal(hostPortOf(nodePort("outpost-api")), port(defaults.outpostUrl));
    assert.equal(hostPortOf(nodePort("mock-webhook")), port(defaults.mockUrl));
    assert.equal(hostPortOf(nodePort("runstate-redis")), port(defaults.redisUrl));
  });

  it("renders the monitoring kustomization (collector, dashboards) into valid objects", () => {
    const text = renderKustomization(join(ROOT, "monitoring"));
    assert.deepEqual(schemaProblems(text), []);
    const dashboards = parseObjects(text).filter((o) => o.metadata.labels?.grafana_dashboard === "1");
    assert.equal(dashboards.length, 5);
    for (const cm of dashboards) for (const json of Object.values(cm.data ?? {})) JSON.parse(json);
  });

  it("wires the OpenTelemetry collector: every pipeline component is defined, Outpost points at its OTLP port", () => {
    type Section = Record<string, unknown>;
    const config = readYaml<{
      receivers: Section;
      processors: Section;
      exporters: Section;
      service: { pipelines: Record<string, Record<string, string[]>> };
    }>("monitoring/otel-collector/config.yaml");
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      for (const r of pipeline.receivers) assert.ok(r in config.receivers, `${name}: receiver ${r}`);
      for (const p of pipeline.processors ?? []) assert.ok(p in config.processors, `${name}: processor ${p}`);
      for (const e of pipeline.exporters) assert.ok(e in config.exporters, `${name}: exporter ${e}`);
    }
    assert.ok(config.service.pipelines.metrics.exporters.includes("prometheus"));
    for (const component of ["api", "delivery", "log"]) {
      const [c] = containersOf(find(parseObjects(rendered.get("small")!), "Deployment", `outpost-${component}`));
      assert.equal(
        c.env.find((e: { name: string }) => e.name === "OTEL_SERVICE_NAME")?.value,
        `outpost-${component}`,
        "OTel is off without OTEL_SERVICE_NAME",
      );
    }
  });

  it("gives every OTLP endpoint a scheme and the collector's OTLP gRPC address", () => {
    const monitoring = parseObjects(renderKustomization(join(ROOT, "monitoring")));
    const service = find(monitoring, "Service", "otel-collector");
    const grpc = service.spec.ports.find((p: { name: string }) => p.name === "otlp-grpc");
    const collector = `${service.metadata.name}.${service.metadata.namespace}.svc:${grpc.port}`;
    for (const size of SIZES) {
      const endpoints = otlpEndpoints(parseObjects(rendered.get(size)!));
      assert.ok(endpoints.length > 0, `${size}: no OTLP endpoint is set`);
      const problems = endpoints.flatMap(({ where, value }) => {
        const p = otlpEndpointProblem(value, collector);
        return p ? [`${size}: ${where}: ${p}`] : [];
      });
      assert.deepEqual(problems, []);
    }
    // The value this check was written against (nothing reached the collector).
    assert.match(otlpEndpointProblem("otel-collector.monitoring.svc:4317", collector) ?? "", /scheme/);
  });

  it("gives every pod that exports OpenTelemetry its own service.instance.id (downward API)", () => {
    const instanceId = (container: any, pod: string): string | undefined =>
      resourceAttributes(resolvedEnv(container, { name: pod, uid: `uid-${pod}` }).OTEL_RESOURCE_ATTRIBUTES)[
        "service.instance.id"
      ];
    for (const size of SIZES) {
      const exporting = parseObjects(rendered.get(size)!).flatMap((o) =>
        containersOf(o)
          .filter((c) => (c.env ?? []).some((e: { name: string }) => e.name === "OTEL_SERVICE_NAME"))
          .map((c) => ({ o, c })),
      );
      assert.ok(exporting.length >= 3, `${size}: Outpost api, delivery and log export OpenTelemetry`);
      for (const { o, c } of exporting) {
        const [a, b] = [instanceId(c, `${o.metadata.name}-a`), instanceId(c, `${o.metadata.name}-b`)];
        assert.ok(
          a && b && a !== b && !a.includes("$("),
          `${size}: ${o.metadata.name} replicas share service.instance.id (${a})`,
        );
      }
    }
    // Would catch: a fixed value, and a reference to a variable defined after it.
    const fixed = { env: [{ name: "OTEL_RESOURCE_ATTRIBUTES", value: "service.instance.id=outpost" }] };
    assert.equal(instanceId(fixed, "a"), instanceId(fixed, "b"));
    const late = {
      env: [
        { name: "OTEL_RESOURCE_ATTRIBUTES", value: "service.instance.id=$(POD_NAME)" },
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ],
    };
    assert.equal(instanceId(late, "a"), "$(POD_NAME)");
  });

  it("caps each Redis with a maxmemory below its container's memory limit (real redis-server reads the args)", async () => {
    for (const size of SIZES) {
      for (const o of parseObjects(rendered.get(size)!)) {
        for (const c of containersOf(o).filter((x) => /^redis:/.test(x.image))) {
          const where = `${size}: ${o.metadata.name}/${c.name}`;
          const args = resolvedArgs(c, { name: "pod", uid: "uid" });
          const maxmemory = await redisMaxmemory(args);
          const limit = quantity(c.resources.limits.memory);
          assert.ok(maxmemory > 0, `${where}: no maxmemory, so ${args.join(" ")} never stops Redis growing`);
          assert.ok(maxmemory <= 0.8 * limit, `${where}: maxmemory ${maxmemory} is over 80% of the limit ${limit}`);
        }
      }
    }
  });

  it("gives RabbitMQ an absolute memory watermark at most 60% of its container's limit", () => {
    for (const size of SIZES) {
      const objects = parseObjects(rendered.get(size)!);
      const deployment = find(objects, "Deployment", "rabbitmq");
      const [c] = containersOf(deployment);
      const volumes = deployment.spec.template.spec.volumes as { name: string; configMap?: { name: string } }[];
      // The rabbitmq.conf lines of every file mounted into conf.d from a ConfigMap.
      const lines = (c.volumeMounts as { name: string; mountPath: string; subPath?: string }[])
        .filter((m) => m.mountPath.startsWith("/etc/rabbitmq/conf.d/") && m.subPath)
        .flatMap((m) => {
          const cm = volumes.find((v) => v.name === m.name)?.configMap?.name;
          return (
            objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === cm)?.data?.[m.subPath!] ?? ""
          ).split("\n");
        });
      const setting = (key: string): string | undefined =>
        lines
          .map((l) => l.split("="))
          .find(([k]) => k.trim() === key)?.[1]
          ?.trim();
      assert.equal(setting("vm_memory_high_watermark.relative"), undefined, size);
      const absolute = setting("vm_memory_high_watermark.absolute");
      assert.ok(absolute, `${size}: RabbitMQ has no absolute memory watermark`);
      // RabbitMQ parses Ki/Mi/Gi and k/M/G as Kubernetes does (since 3.13).
      const ratio = quantity(absolute) / quantity(c.resources.limits.memory);
      assert.ok(ratio > 0.2 && ratio <= 0.6, `${size}: watermark ${absolute} is ${ratio} of the limit`);
    }
  });

  it("keeps kube-prometheus-stack's scrape configs and the local Prometheus config valid for promtool", () => {
    type Values = {
      prometheus: { prometheusSpec: { enableRemoteWriteReceiver: boolean; additionalScrapeConfigs: unknown[] } };
      "prometheus-node-exporter": { hostRootFsMount: { enabled: boolean } };
    };
    const values = readYaml<Values>("monitoring/kube-prometheus-stack/values.yaml");
    assert.equal(values.prometheus.prometheusSpec.enableRemoteWriteReceiver, true);
    assert.equal(values["prometheus-node-exporter"].hostRootFsMount.enabled, false);
    const dir = mkdtempSync(join(tmpdir(), "olt-promtool-"));
    try {
      const kind = join(dir, "kind.yml");
      // Debian's promtool is built without Kubernetes service discovery: stand a static target in
      // for it, so the rest (relabelling regexes, actions, target labels) is still checked.
      const scrapeConfigs = (values.prometheus.prometheusSpec.additionalScrapeConfigs as Record<string, unknown>[]).map(
        ({ kubernetes_sd_configs: sd, ...rest }) =>
          sd ? { ...rest, static_configs: [{ targets: ["pod.example:80"] }] } : rest,
      );
      writeFileSync(kind, JSON.stringify({ scrape_configs: scrapeConfigs }));
      runToolOk("promtool", ["check", "config", "--syntax-only", kind]);
      runToolOk("promtool", ["check", "config", "--syntax-only", join(ROOT, "monitoring/prometheus/local.yml")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("renders the distributed TestRun with one TEST_ID for every runner and the k6 options as separate args", () => {
    const testRun = renderTestRun(4, "run-abc", ["-e", "RATE=500", "-e", 'NOTE=a "quoted" value']);
    assert.equal(testRun.apiVersion, "k6.io/v1alpha1");
    assert.equal(testRun.kind, "TestRun");
    assert.equal(testRun.spec.parallelism, 4);
    assert.deepEqual(testRun.spec.script, { configMap: { name: "k6-throughput", file: "throughput.js" } });
    assert.deepEqual(testRun.spec.args, [
      "--out",
      "experimental-prometheus-rw",
      "--tag",
      "testid=run-abc",
      "-e",
      "RATE=500",
      "-e",
      'NOTE=a "quoted" value',
    ]);
    const env = Object.fromEntries(
      (testRun.spec.runner.env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    assert.equal(env.TEST_ID, "run-abc");
    assert.equal(env.MOCK_DESTINATION_URL, "http://mock-webhook.olt.svc:48080");
    assert.equal(testRun.spec.runner.image, testRun.spec.initializer.image);
  });

  it("passes the runners every setting the cluster decides, the API key from the Secret Outpost reads", () => {
    // What the cluster, not the user, decides for the throughput scenario: the run's id shared by
    // all runners, where Outpost, run-state Redis and the mock are, and Outpost's admin API key.
    const decided = ["TEST_ID", "OUTPOST_URL", "OUTPOST_API_KEY", "REDIS_URL", "MOCK_URL", "MOCK_DESTINATION_URL"];
    const read = new Set<string>();
    readThroughputSettings(
      new Proxy({} as Record<string, string | undefined>, {
        get: (_, name) => {
          read.add(String(name));
          return undefined;
        },
      }),
    );
    for (const name of decided) assert.ok(read.has(name), `the throughput scenario no longer reads ${name}`);

    const testRun = renderTestRun(2, "run-env");
    type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
    const env = new Map((testRun.spec.runner.env as EnvVar[]).map((e) => [e.name, e]));
    for (const name of decided) assert.ok(env.has(name), `the TestRun's runners get no ${name}`);

    const objects = parseObjects(rendered.get("small")!);
    for (const name of ["OUTPOST_URL", "REDIS_URL", "MOCK_URL", "MOCK_DESTINATION_URL"]) {
      const url = new URL(env.get(name)!.value!);
      const [service, namespace] = url.hostname.split(".");
      const s = find(objects, "Service", service);
      assert.equal(namespace, "olt", name);
      assert.ok(
        s.spec.ports.some((p: { port: number }) => p.port === Number(url.port)),
        `${name}: ${url.host} is no port of Service ${service}`,
      );
    }

    // The same Secret key that cluster-up.sh fills from OUTPOST_API_KEY and Outpost reads as API_KEY.
    const ref = env.get("OUTPOST_API_KEY")!.valueFrom?.secretKeyRef;
    assert.deepEqual(ref, { name: "olt-credentials", key: "API_KEY" }, "OUTPOST_API_KEY must come from the Secret");
    const clusterUp = readFileSync(join(ROOT, "kind/scripts/cluster-up.sh"), "utf8");
    assert.match(clusterUp, /create secret generic olt-credentials[\s\S]*--from-literal=API_KEY="\$\{OUTPOST_API_KEY/);
    const [api] = containersOf(find(objects, "Deployment", "outpost-api"));
    assert.ok(api.envFrom.some((f: { secretRef?: { name: string } }) => f.secretRef?.name === ref!.name));
  });
});
