import type { IncomingMessage, ServerResponse } from "node:http";

// Gin's c.JSON / c.Status answers, as Outpost's handlers give them.
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

// An answer with no body: 401/403 from the auth middleware, 404 for an unknown destination.
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "Content-Length": 0 });
  res.end();
}

// Outpost's error body {status, message, data?} (internal/apirouter/errorhandler_middleware.go).
export function sendError(res: ServerResponse, status: number, message: string, data?: string[]): void {
  sendJson(res, status, data === undefined ? { status, message } : { status, message, data });
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
