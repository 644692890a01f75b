import { randomBytes } from "node:crypto";
import { NodeHttpPort } from "../../adapters/node/http";
import { ConfigError, type Env, fail, readInt, readUrl } from "../../src/config/env";
import { FAKE_TARGET, targetFromHealth } from "../../src/outpost/target";
import { type OutpostFake, startOutpostFake } from "../support/outpost-fake";

// What the end-to-end suite runs against: the Outpost fake started in-process (the default,
// and what CI runs), or the Outpost at OUTPOST_URL (E2E_TARGET=env, which `make e2e` sets when
// OUTPOST_URL is given, e.g. from `make local-up`'s exports). Which one it is comes from the
// target's own /healthz, as throughput's setup reads it.

export interface E2eTarget {
  // "fake" also when OUTPOST_URL points at a fake process (make outpost-fake).
  kind: "fake" | "outpost";
  // For titles: "the Outpost fake (…), not Outpost" or "Outpost at <url>".
  label: string;
  url: string;
  apiKey: string;
  // Attempts Outpost makes per event (verify's OUTPOST_MAX_ATTEMPTS).
  maxAttempts: number;
  // How long verify waits for a retry: Outpost re-reads a failed attempt from its log store
  // before retrying and hides the retry for RETRY_VISIBILITY_TIMEOUT_SECONDS while the log
  // batch is unwritten (internal/deliverymq/retry.go), so a retry can be that late.
  retryGraceMs: number;
  // How long verify waits once nothing arrives when no retry is pending.
  quietGraceMs: number;
  // How long Outpost takes to write an attempt to its log store (LOG_BATCH_THRESHOLD_SECONDS).
  logSettleMs: number;
  // Settings a reader of the results needs (no secrets).
  describe: string;
  fake?: OutpostFake;
  close(): Promise<void>;
}

// The in-process fake runs as `make local-up` starts Outpost (RETRY_SCHEDULE=1,2,4,
// DELIVERY_MAX_CONCURRENCY=100, millisecond timestamps), so both targets see the same settings.
const FAKE_SCHEDULE = [1, 2, 4];

const http = new NodeHttpPort();

async function health(url: string): Promise<string> {
  const res = await http.request({ method: "GET", url: `${url}/healthz`, timeoutMs: 5000 });
  if (res.status !== 200)
    throw new Error(
      `OUTPOST_URL=${url}: /healthz answered ${res.status === 0 ? (res.error ?? "nothing") : res.status}: start Outpost (make local-up) or leave E2E_TARGET unset for the fake`,
    );
  return res.body;
}

export async function openE2eTarget(env: Env): Promise<E2eTarget> {
  const choice = env.E2E_TARGET?.trim() || "fake";
  if (choice === "fake") {
    const fake = await startOutpostFake({
      apiKey: randomBytes(12).toString("hex"),
      retrySchedule: FAKE_SCHEDULE,
      deliveryMaxConcurrency: 100,
      includeMillisecondTimestamp: true,
    });
    return {
      kind: "fake",
      label: `the Outpost fake (test/support/outpost-fake), not Outpost`,
      url: fake.url,
      apiKey: fake.settings.apiKey,
      maxAttempts: FAKE_SCHEDULE.length + 1,
      // The fake retries on schedule: the longest quiet gap is the last delay.
      retryGraceMs: (FAKE_SCHEDULE[FAKE_SCHEDULE.length - 1] + 2) * 1000,
      quietGraceMs: 2000,
      logSettleMs: 0,
      describe: `in-process at ${fake.url}, RETRY_SCHEDULE=${FAKE_SCHEDULE.join(",")}, DELIVERY_MAX_CONCURRENCY=100, DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP=true`,
      fake,
      close: () => fake.stop(),
    };
  }
  if (choice !== "env") fail("E2E_TARGET", choice, "fake or env");
  const url = readUrl(env, "OUTPOST_URL", "http://127.0.0.1:3333").replace(/\/+$/, "");
  if (!env.OUTPOST_MAX_ATTEMPTS?.trim())
    throw new ConfigError(
      "OUTPOST_MAX_ATTEMPTS is required with E2E_TARGET=env: expected 1 + the length of Outpost's RETRY_SCHEDULE (make local-up prints it)",
    );
  const maxAttempts = readInt(env, "OUTPOST_MAX_ATTEMPTS", 0, 1, 15);
  const visibilityS = readInt(env, "RETRY_VISIBILITY_TIMEOUT_SECONDS", 30, 0, 86_400);
  const logBatchS = readInt(env, "LOG_BATCH_THRESHOLD_SECONDS", 10, 0, 86_400);
  const fake = targetFromHealth(await health(url)).fake;
  return {
    kind: fake === null ? "outpost" : "fake",
    label: fake === null ? `Outpost at ${url}` : `the Outpost fake (test/support/outpost-fake), not Outpost, at ${url}`,
    url,
    apiKey: env.OUTPOST_API_KEY ?? "",
    maxAttempts,
    retryGraceMs: (visibilityS + logBatchS + 5) * 1000,
    quietGraceMs: 5000,
    logSettleMs: (logBatchS + 1) * 1000,
    describe: `OUTPOST_URL=${url}, OUTPOST_MAX_ATTEMPTS=${maxAttempts}, retries may be ${visibilityS + logBatchS} s late (RETRY_VISIBILITY_TIMEOUT_SECONDS + LOG_BATCH_THRESHOLD_SECONDS)`,
    close: async () => {},
  };
}

// What verify must say the run was made against.
export function expectedAgainst(target: E2eTarget): string {
  return target.kind === "fake" ? FAKE_TARGET : `against Outpost at ${target.url}`;
}
