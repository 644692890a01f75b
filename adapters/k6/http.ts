import http from "k6/http";
import type { HttpPort, HttpRequest, HttpResponse } from "../../src/ports";

// HttpPort over k6/http's asyncRequest, so many publishes of one VU can be awaited
// without blocking the event loop. No answer at all is status 0 with k6's error.
export class K6HttpPort implements HttpPort {
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await http.asyncRequest(req.method, req.url, req.body ?? null, {
      headers: req.headers,
      timeout: req.timeoutMs,
      tags: req.name ? { name: req.name } : undefined,
      responseType: "text",
      ...(req.expectedStatuses ? { responseCallback: http.expectedStatuses(...req.expectedStatuses) } : {}),
    });
    if (res.status === 0) return { status: 0, body: "", error: `${res.error} (k6 error ${res.error_code})` };
    return { status: res.status, body: typeof res.body === "string" ? res.body : "" };
  }
}
