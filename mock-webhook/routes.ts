import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { handleFaultControl } from "./control";
import type { Coordinator } from "./coordinator";
import { type DeliveryDeps, handleDelivery } from "./delivery";
import { logThrottled } from "./log";
import { readEvent, type ReadDeps, readHealth, readRun } from "./reads";
import { ClientGoneError, sendError } from "./respond";
import type { WallClock } from "./wall-clock";

export interface RouteDeps extends DeliveryDeps, ReadDeps {
  coordinator: Coordinator;
  // Where t3 comes from: the wall clock, re-anchored (wall-clock.ts).
  clock: WallClock;
  // True once shutdown began: answers then close their connection.
  closing(): boolean;
}

type Route = "webhook" | "events" | "runs" | "healthz" | "metrics" | "control" | "other";

function dispatch(
  deps: RouteDeps,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  t3Ms: number,
): Promise<void> {
  switch (route) {
    case "webhook":
      return handleDelivery(deps, req, res, t3Ms);
    case "events":
      return readEvent(deps, res, decodeURIComponent(path.slice("/events/".length)));
    case "runs":
      return readRun(deps, res, decodeURIComponent(path.slice("/runs/".length)));
    case "healthz":
      return readHealth(deps, res);
    case "metrics":
      return deps.coordinator.metrics().then((text) => {
        res.writeHead(200, { "content-type": deps.metrics.registry.contentType });
        res.end(text);
      });
    case "control":
      return handleFaultControl(deps, req, res);
    case "other":
      return Promise.resolve(
        sendError(
          res,
          404,
          "see GET /healthz, /metrics, /events/:id, /runs/:testId, /control/faults; POST /webhook/:testId/:destination",
        ),
      );
  }
}

function routeOf(method: string | undefined, path: string): Route {
  if (method === "POST" && path.startsWith("/webhook/")) return "webhook";
  if (path === "/control/faults") return "control";
  if (method !== "GET") return "other";
  if (path.startsWith("/events/")) return "events";
  if (path.startsWith("/runs/")) return "runs";
  if (path === "/healthz") return "healthz";
  if (path === "/metrics") return "metrics";
  return "other";
}

// Beyond metrics and control, whatever fails is Redis (or its absence): answer
// 503 so a delivery is retried, never 200 without its receipt.
function failed(deps: RouteDeps, route: Route, res: ServerResponse, err: unknown): void {
  if (err instanceof ClientGoneError) return;
  if (route !== "metrics" && route !== "control") deps.metrics.redisErrors.inc();
  logThrottled("request", `answering 503: ${(err as Error)?.message ?? String(err)}`);
  if (!res.headersSent && !res.destroyed) sendError(res, 503, "run state unavailable; retry");
}

// The returned promise settles when the handler is done, answered or not.
export function requestHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return (req, res) => {
    // First byte of the delivery as seen by the mock: before the body is read.
    const t3Ms = deps.clock.now();
    const start = performance.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const route = routeOf(req.method, path);
    if (deps.closing()) res.setHeader("connection", "close");
    // Counted when the handler is done (not on the response's close event: a
    // listener per request costs the mock more than the count itself).
    return dispatch(deps, route, req, res, path, t3Ms)
      .catch((err: unknown) => failed(deps, route, res, err))
      .then(() =>
        deps.metrics.answered(
          route,
          res.writableEnded ? String(res.statusCode) : "none",
          (performance.now() - start) / 1000,
        ),
      );
  };
}
