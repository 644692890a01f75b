// What the reports ask Prometheus for: the inside view of a run (what it cost),
// next to verify's outside view (what was delivered, how fast). The local stack
// (make local-up: process-exporter, redis_exporter, postgres_exporter,
// rabbitmq_prometheus) and the kind cluster (cAdvisor, the same exporters) name
// things differently; queries that find nothing are left out of the report.

export type ResourceUnit = "cores" | "bytes" | "per second" | "messages";

export interface ResourceQuery {
  id: string;
  title: string;
  unit: ResourceUnit;
  // Each label value of the result is one series (e.g. one process group).
  label: string;
  // PromQL for a rate window like "20s".
  expr(rateWindow: string): string;
  // How the capacity search decides this resource ran out (see saturation.ts).
  saturation?: "cpu" | "backlog";
}

const CLUSTER = 'namespace="olt", container!="", container!="POD"';

export const RESOURCE_QUERIES: readonly ResourceQuery[] = [
  {
    id: "process_cpu",
    title: "CPU per process (local stack)",
    unit: "cores",
    label: "groupname",
    expr: (w) => `sum by (groupname) (rate(namedprocess_namegroup_cpu_seconds_total[${w}]))`,
    saturation: "cpu",
  },
  {
    id: "process_memory",
    title: "Resident memory per process (local stack)",
    unit: "bytes",
    label: "groupname",
    expr: () => 'sum by (groupname) (namedprocess_namegroup_memory_bytes{memtype="resident"})',
  },
  {
    id: "pod_cpu",
    title: "CPU per pod (cluster)",
    unit: "cores",
    label: "pod",
    expr: (w) => `sum by (pod) (rate(container_cpu_usage_seconds_total{${CLUSTER}}[${w}]))`,
    saturation: "cpu",
  },
  {
    id: "pod_memory",
    title: "Working-set memory per pod (cluster)",
    unit: "bytes",
    label: "pod",
    expr: () => `sum by (pod) (container_memory_working_set_bytes{${CLUSTER}})`,
  },
  {
    id: "redis_commands",
    title: "Redis commands per second",
    unit: "per second",
    label: "redis",
    expr: (w) => `sum by (redis) (rate(redis_commands_processed_total[${w}]))`,
  },
  {
    id: "redis_memory",
    title: "Redis memory",
    unit: "bytes",
    label: "redis",
    expr: () => "sum by (redis) (redis_memory_used_bytes)",
  },
  {
    id: "postgres_commits",
    title: "PostgreSQL commits per second (database outpost)",
    unit: "per second",
    label: "datname",
    expr: (w) => `sum by (datname) (rate(pg_stat_database_xact_commit{datname="outpost"}[${w}]))`,
  },
  {
    id: "queue_depth",
    title: "RabbitMQ queue depth",
    unit: "messages",
    label: "queue",
    expr: () => "sum by (queue) (rabbitmq_queue_messages)",
    saturation: "backlog",
  },
];
