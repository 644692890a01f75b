import type { HttpPort, HttpRequest, HttpResponse } from "../../src/ports";

// HttpPort over Node's fetch. Transport failures become status 0 with the
// system error code first (ECONNREFUSED, ...), as k6 reports them.
export class NodeHttpPort implements HttpPort {
  async request(req: HttpRequest): Promise<HttpResponse> {
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.timeoutMs === undefined ? undefined : AbortSignal.timeout(req.timeoutMs),
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const code = e.name === "TimeoutError" ? "timeout" : e.cause?.code;
      return { status: 0, body: "", error: code ? `${code}: ${e.message}` : e.message };
    }
  }
}
