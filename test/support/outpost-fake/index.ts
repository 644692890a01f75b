import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApiHandler, type FakeControls } from "./api-routes";
import { DeliveryWorker } from "./delivery-worker";
import { type AttemptRecord, type FakeDestination, FakeStore, type FakeTenant, type PublishedEvent } from "./model";
import { retryPolicy } from "./retry";
import { DEFAULT_FAKE_SETTINGS, type FakeSettings } from "./settings";

export { FAKE_NOTICE } from "./api-routes";
export type { AttemptRecord, FakeDestination, FakeTenant, PublishedEvent };

// A verified fake of Outpost v1.2.0: its API answers and its webhook deliveries follow
// Outpost's source (each module cites the file), and test/conformance checks it against a
// recorded run of the real Outpost (docs/conformance.md). Usable in-process from mocha
// and as a process of its own (main.ts).

export interface OutpostFakeOptions extends Partial<FakeSettings> {
  // 0 (default): a free port, kept across restarts.
  port?: number;
}

export interface OutpostFake extends FakeControls {
  readonly url: string;
  readonly settings: FakeSettings;
  // Everything Outpost keeps outside its process (Redis, RabbitMQ, log store).
  readonly store: FakeStore;
  readonly tenants: Map<string, FakeTenant>;
  readonly published: PublishedEvent[];
  readonly attempts: AttemptRecord[];
  readonly running: boolean;
  destination(tenantId: string, destinationId: string): FakeDestination | undefined;
  // As PUT .../disable|enable: a disabled destination gets no further events.
  setDestinationDisabled(tenantId: string, destinationId: string, disabled: boolean): void;
  // Resolves when nothing is queued, in flight or waiting for a retry.
  whenIdle(): Promise<void>;
  // The outpost-server process going away (connections refused, deliveries cut off) and
  // coming back on the same port; the store survives, as Redis and RabbitMQ would.
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(downMs?: number): Promise<void>;
}

export async function startOutpostFake(options: OutpostFakeOptions = {}): Promise<OutpostFake> {
  const { port: requestedPort = 0, ...overrides } = options;
  const settings: FakeSettings = { ...DEFAULT_FAKE_SETTINGS, ...overrides };
  const store = new FakeStore();
  const controls: FakeControls = { healthStatus: 200, failPublish: new Map(), publishDelayMs: 0, calls: new Map() };
  const worker = new DeliveryWorker(store, settings, retryPolicy(settings));
  let server: Server | undefined;
  let port = requestedPort;

  async function start(): Promise<void> {
    if (server) return;
    const s = createServer((req, res) => {
      handler(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        s.off("error", reject);
        resolve();
      });
    });
    port = (s.address() as AddressInfo).port;
    server = s;
    worker.start();
  }

  async function stop(): Promise<void> {
    const s = server;
    if (!s) return;
    server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
    await worker.stop();
  }

  async function restart(downMs = 0): Promise<void> {
    await stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await start();
  }

  const handler = createApiHandler({
    store,
    settings,
    worker,
    controls,
    restart: (downMs) => {
      restart(downMs).catch((err: Error) => process.stderr.write(`outpost-fake: restart failed: ${err.message}\n`));
    },
  });

  await start();
  return Object.assign(controls, {
    url: `http://127.0.0.1:${port}`,
    settings,
    store,
    tenants: store.tenants,
    published: store.published,
    attempts: store.attempts,
    get running() {
      return server !== undefined;
    },
    destination: (tenantId: string, destinationId: string) => store.destination(tenantId, destinationId),
    setDestinationDisabled(tenantId: string, destinationId: string, disabled: boolean) {
      const d = store.destination(tenantId, destinationId);
      if (d === undefined) throw new Error(`outpost-fake: no destination ${destinationId} in tenant ${tenantId}`);
      d.disabledAt = disabled ? new Date().toISOString() : null;
    },
    whenIdle: () => worker.whenIdle(),
    stop,
    start,
    restart,
  });
}
