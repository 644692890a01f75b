import http, { type RefinedParams, type RefinedResponse } from "k6/http";
import type { HttpPort, HttpRequest, HttpResponse } from "../../src/ports";

function paramsOf(req: HttpRequest): RefinedParams<"text"> {
  const params: RefinedParams<"text"> = {
    headers: req.headers,
    timeout: req.timeoutMs,
    tags: req.name ? { name: req.name } : undefined,
    responseType: "text",
  };
  if (req.expectedStatuses) params.responseCallback = http.expectedStatuses(...req.expectedStatuses);
  return params;
}

// No answer at all is status 0 with k6's error.
function responseOf(res: RefinedResponse<"text">): HttpResponse {
  if (res.status === 0) return { status: 0, body: "", error: `${res.error} (k6 error ${res.error_code})` };
  return { status: res.status, body: typeof res.body === "string" ? res.body : "" };
}

// HttpPort over k6/http's asyncRequest, so many requests of one VU can be
// awaited together (setup's provisioning).
export class K6HttpPort implements HttpPort {
  async request(req: HttpRequest): Promise<HttpResponse> {
    return responseOf(await http.asyncRequest(req.method, req.url, req.body ?? null, paramsOf(req)));
  }
}

// The params of the last blocking request, reused while the requests that
// follow name the same headers object, name, timeout and statuses (every
// publish of a VU): k6 reads params, it does not keep or change them.
let last: { req: HttpRequest; params: RefinedParams<"text"> } | null = null;

// k6/http's synchronous request, for a VU with nothing else to do while it
// waits (an iteration's publish): no promise, which costs k6 less per request
// than asyncRequest (npm run bench:generator).
export function requestBlocking(req: HttpRequest): HttpResponse {
  const same =
    last !== null &&
    last.req.headers === req.headers &&
    last.req.name === req.name &&
    last.req.timeoutMs === req.timeoutMs &&
    last.req.expectedStatuses === req.expectedStatuses;
  if (!same) last = { req, params: paramsOf(req) };
  return responseOf(
    http.request(req.method, req.url, req.body ?? null, (last as { params: RefinedParams<"text"> }).params),
  );
}
