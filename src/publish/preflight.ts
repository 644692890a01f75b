import { redactUrl } from "../config/env";
import { type OutpostClient, OutpostError } from "../outpost/client";
import type { HttpPort, RedisPort } from "../ports";
import { assessRunStateRedis } from "../runstate/redis-fitness";

export interface PreflightTargets {
  outpost: OutpostClient;
  http: HttpPort;
  mockUrl: string;
  probeTenantId: string;
  redis: RedisPort;
  redisUrl: string;
}

// Everything a run needs before any load, checked in one place so a broken
// stack stops the run with one line instead of thousands of failed publishes.
// Returns warnings worth a line each (a run-state Redis without persistence).
export async function preflight(t: PreflightTargets): Promise<string[]> {
  const { outpost, http, mockUrl, probeTenantId } = t;
  const fitness = await assessRunStateRedis(t.redis, redactUrl(t.redisUrl));
  if (fitness.refusal !== null) throw new Error(fitness.refusal);
  await outpost.health();
  await outpost.checkCredentials(probeTenantId);
  const res = await http.request({ method: "GET", url: `${mockUrl}/healthz`, timeoutMs: 5000, name: "mock healthz" });
  if (res.status !== 200) {
    const why = res.status === 0 ? (res.error ?? "no response") : `HTTP ${res.status}`;
    throw new OutpostError(
      `the mock webhook at ${redactUrl(mockUrl)} is not healthy (${why}): check MOCK_URL and that the mock runs`,
    );
  }
  return fitness.warning === null ? [] : [fitness.warning];
}
