import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// A sink as fast as Node allows that answers the routes dist/throughput.js calls the way Outpost
// v1.2.0 does (internal/apirouter: healthz, tenant upsert 201, destination create 201 with
// credentials.secret, publish 202 {id, duplicate, destination_ids}) and delivers nothing: the
// generator benchmark measures the harness, so the target must cost as little as possible.
// Not a model of Outpost: the verified fake in test/support is that.
export interface PublishSink {
  url: string;
  publishes: () => number;
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startPublishSink(): Promise<PublishSink> {
  const destinations = new Map<string, string[]>();
  let publishes = 0;
  const server: Server = createServer(async (req, res) => {
    const text = await body(req);
    const reply = (status: number, json: unknown) => {
      const out = JSON.stringify(json);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
      res.end(out);
    };
    const path = req.url ?? "/";
    if (path === "/api/v1/publish") {
      publishes++;
      // The tenant id sits in a fixed place of the body the scenario sends; a full JSON parse
      // would make the sink, not the generator, the cost.
      const tenant = /"tenant_id":"([^"]+)"/.exec(text)?.[1] ?? "";
      const id = /"id":"([^"]+)"/.exec(text)?.[1] ?? "";
      return reply(202, { id, duplicate: false, destination_ids: destinations.get(tenant) ?? [] });
    }
    if (path === "/healthz") return reply(200, { status: "healthy" });
    const tenant = /^\/api\/v1\/tenants\/([^/]+)(\/destinations)?$/.exec(path);
    if (tenant && req.method === "GET") return reply(404, { status: 404, message: "tenant not found" });
    if (tenant && req.method === "PUT") return reply(201, { id: tenant[1] });
    if (tenant?.[2] && req.method === "POST") {
      const spec = JSON.parse(text) as { id: string; config: { url: string } };
      destinations.set(tenant[1], [...(destinations.get(tenant[1]) ?? []), spec.id]);
      return reply(201, { ...spec, credentials: { secret: "whsec_bench" } });
    }
    return reply(404, { status: 404, message: "not found" });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    publishes: () => publishes,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
