import { redactUrl } from "../config/env";
import { type OutpostClient, OutpostError } from "../outpost/client";
import type { HttpPort } from "../ports";

// Everything a run needs before any load, checked in one place so a broken
// stack stops the run with one line instead of thousands of failed publishes.
export async function preflight(
  outpost: OutpostClient,
  http: HttpPort,
  mockUrl: string,
  probeTenantId: string,
): Promise<void> {
  await outpost.health();
  await outpost.checkCredentials(probeTenantId);
  const res = await http.request({ method: "GET", url: `${mockUrl}/healthz`, timeoutMs: 5000, name: "mock healthz" });
  if (res.status !== 200) {
    const why = res.status === 0 ? (res.error ?? "no response") : `HTTP ${res.status}`;
    throw new OutpostError(
      `the mock webhook at ${redactUrl(mockUrl)} is not healthy (${why}): check MOCK_URL and that the mock runs`,
    );
  }
}
