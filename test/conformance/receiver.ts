import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// The webhook destination the conformance suite observes deliveries with: node:http on
// 127.0.0.1, one endpoint (path prefix) per destination, every request recorded with its
// exact path, headers and body bytes, answered as the case scripts it.

export interface Received {
  // Path and query as requested.
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  arrivedAtMs: number;
}

export interface Answer {
  status: number;
  // Hold the answer this long (a slow or timing-out destination).
  holdMs?: number;
}

// n: 0-based index of this request among the endpoint's requests.
export type Behaviour = (n: number, r: Received) => Answer;

const epochNowMs = () => performance.timeOrigin + performance.now();

export class Endpoint {
  readonly requests: Received[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly url: string,
    readonly behaviour: Behaviour,
  ) {}

  record(r: Received): number {
    this.requests.push(r);
    for (const w of this.waiters.splice(0)) w();
    return this.requests.length - 1;
  }

  // The first `count` requests, or an Error naming what arrived within timeoutMs.
  async waitFor(count: number, timeoutMs: number, what = "deliveries"): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} ${what} within ${timeoutMs} ms, got ${this.requests.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.requests.slice(0, count);
  }
}

export class Receiver {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly holds = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const arrivedAtMs = epochNowMs();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r: Received = {
          path: req.url ?? "/",
          method: req.method ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks),
          arrivedAtMs,
        };
        receiver?.handle(r, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  // A new endpoint; `suffix` is appended to its URL (a deeper path, a query).
  endpoint(behaviour: Behaviour = () => ({ status: 200 }), suffix = ""): Endpoint {
    const id = randomBytes(6).toString("hex");
    const e = new Endpoint(`${this.baseUrl}/r/${id}${suffix}`, behaviour);
    this.endpoints.set(id, e);
    return e;
  }

  private handle(r: Received, res: ServerResponse): void {
    const id = /^\/r\/([0-9a-f]+)/.exec(r.path)?.[1];
    const endpoint = id === undefined ? undefined : this.endpoints.get(id);
    if (endpoint === undefined) {
      res.writeHead(404).end();
      return;
    }
    const n = endpoint.record(r);
    const answer = endpoint.behaviour(n, r);
    endpoint.inFlight++;
    endpoint.maxInFlight = Math.max(endpoint.maxInFlight, endpoint.inFlight);
    const reply = () => {
      endpoint.inFlight--;
      if (!res.destroyed) res.writeHead(answer.status, { "Content-Type": "text/plain" }).end("ok");
    };
    if (!answer.holdMs) {
      reply();
      return;
    }
    const t = setTimeout(() => {
      this.holds.delete(t);
      reply();
    }, answer.holdMs);
    this.holds.add(t);
  }

  async close(): Promise<void> {
    for (const t of this.holds) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
