import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SignatureStatus } from "../src/runstate/store";

// Names are a contract with the Grafana dashboards; process metrics carry the same prefix.
export const METRIC_PREFIX = "mock_webhook_";

export interface MockMetrics {
  registry: Registry;
  faults: Counter<"kind">;
  anomalies: Counter<"reason">;
  redisErrors: Counter;
  // The per-delivery counts, through children bound once per label set.
  answered(route: string, status: string, seconds: number): void;
  receipt(outcome: "first" | "duplicate"): void;
  signature(status: SignatureStatus): void;
}

// prom-client hashes a label object on every call; on the path every delivery
// takes, each label set's child is made once and reused.
function boundChildren<C>(make: (value: string) => C): (value: string) => C {
  const children = new Map<string, C>();
  return (value) => {
    let child = children.get(value);
    if (child === undefined) {
      child = make(value);
      children.set(value, child);
    }
    return child;
  };
}

// Sub-millisecond answers up to timeouts held for 10 s.
const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

// Give it prom-client's global registry: in cluster workers AggregatorRegistry collects from there.
export function createMetrics(registry: Registry, recentEvents: () => number): MockMetrics {
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const registers = [registry];
  new Gauge({
    name: `${METRIC_PREFIX}recent_events`,
    help: "Events held in the bounded GET /events cache (MOCK_RECENT_EVENTS caps it per process)",
    registers,
    collect() {
      this.set(recentEvents());
    },
  });
  const requests = new Counter({
    name: `${METRIC_PREFIX}requests_total`,
    help: "HTTP requests answered, by route and status (none: connection closed without an answer)",
    labelNames: ["route", "status"],
    registers,
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}request_duration_seconds`,
    help: "From request arrival to the end of the answer",
    labelNames: ["route"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const receipts = new Counter({
    name: `${METRIC_PREFIX}receipts_total`,
    help: "Deliveries recorded in Redis: first receipt of an event at a destination, or a duplicate",
    labelNames: ["outcome"],
    registers,
  });
  const signatures = new Counter({
    name: `${METRIC_PREFIX}signatures_total`,
    help: "Signature checks of deliveries to known runs",
    labelNames: ["status"],
    registers,
  });
  const byRoute = boundChildren((route) => ({
    duration: duration.labels({ route }),
    status: boundChildren((status) => requests.labels({ route, status })),
  }));
  const receiptOf = boundChildren((outcome) => receipts.labels({ outcome }));
  const signatureOf = boundChildren((status) => signatures.labels({ status }));
  return {
    registry,
    answered(route, status, seconds) {
      const r = byRoute(route);
      r.status(status).inc();
      r.duration.observe(seconds);
    },
    receipt: (outcome) => receiptOf(outcome).inc(),
    signature: (status) => signatureOf(status).inc(),
    faults: new Counter({
      name: `${METRIC_PREFIX}faults_total`,
      help: "Deliveries answered with a fault and recorded as such (error, timeout, reset, signature)",
      labelNames: ["kind"],
      registers,
    }),
    anomalies: new Counter({
      name: `${METRIC_PREFIX}anomalies_total`,
      help: "Deliveries the run state cannot place (unknown run, bad event id, wrong tenant, destination out of range)",
      labelNames: ["reason"],
      registers,
    }),
    redisErrors: new Counter({
      name: `${METRIC_PREFIX}redis_errors_total`,
      help: "Requests answered 503 because Redis failed or was unreachable",
      registers,
    }),
  };
}
