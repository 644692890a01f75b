import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { WebhookRequest } from "./webhook-request";

// One delivery attempt over HTTP, classified as Outpost v1.2.0 classifies it
// (internal/destregistry/providers/destwebhook/httphelper.go ExecuteHTTPRequest):
// success when the status is below 400, else code "<status>"; transport failures get a
// code of their own; DELIVERY_TIMEOUT_SECONDS bounds the whole attempt
// (internal/destregistry/registry.go context.WithTimeout), response body included.
// Redirects are not followed (Go's client follows them): see docs/conformance.md.
export interface AttemptOutcome {
  status: "success" | "failed";
  code: string;
}

// The system error codes Outpost's ClassifyNetworkError names.
function networkCode(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection_refused";
    case "ECONNRESET":
    case "EPIPE":
      return "connection_reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "dns_error";
    case "ENETUNREACH":
    case "EHOSTUNREACH":
      return "network_unreachable";
    default:
      return /TLS|SSL|CERT/i.test(`${err.code ?? ""} ${err.message}`) ? "tls_error" : "network_error";
  }
}

export class WebhookSender {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(maxSockets: number) {
    // Outpost sizes its idle-connection pool by DELIVERY_MAX_CONCURRENCY (internal/destregistry/connpool.go).
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  send(req: WebhookRequest, timeoutMs: number): Promise<AttemptOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (o: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const isHttps = req.url.startsWith("https:");
      let r: ReturnType<typeof httpRequest>;
      try {
        r = (isHttps ? httpsRequest : httpRequest)(req.url, {
          method: "POST",
          headers: { ...req.headers, "Content-Length": String(req.body.length) },
          agent: isHttps ? this.https : this.http,
        });
      } catch (err) {
        // An invalid header name or value (e.g. from metadata) fails before anything is sent.
        return resolve({ status: "failed", code: networkCode(err as NodeJS.ErrnoException) });
      }
      const timer = setTimeout(() => {
        finish({ status: "failed", code: "timeout" });
        r.destroy();
      }, timeoutMs);
      r.on("response", (res) => {
        const status = res.statusCode ?? 0;
        res.on("error", (err) => finish({ status: "failed", code: networkCode(err) }));
        res.on("end", () => finish({ status: status < 400 ? "success" : "failed", code: String(status) }));
        res.resume();
      });
      r.on("error", (err) => finish({ status: "failed", code: networkCode(err) }));
      r.end(req.body);
    });
  }
}
