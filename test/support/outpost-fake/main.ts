import { ConfigError, readInt } from "../../../src/config/env";
import { FAKE_NOTICE, startOutpostFake } from "./index";
import { readFakeSettings } from "./settings";

// The fake as a process of its own, for clients in other processes (real k6):
//   node build/test/support/outpost-fake/main.js     (npm run outpost-fake builds it first)
// Settings under Outpost's own names (API_KEY, RETRY_SCHEDULE, DELIVERY_MAX_CONCURRENCY, ...)
// plus OUTPOST_FAKE_PORT. POST /_fake/restart?down_ms=N stops and restarts it in place.

async function main(): Promise<void> {
  let port: number;
  let settings: ReturnType<typeof readFakeSettings>;
  try {
    port = readInt(process.env, "OUTPOST_FAKE_PORT", 3333, 1, 65535);
    settings = readFakeSettings(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`outpost-fake: ${err.message}\n`);
    process.exit(2);
  }
  const fake = await startOutpostFake({ ...settings, port });
  const retries =
    settings.retrySchedule.length > 0
      ? `RETRY_SCHEDULE=${settings.retrySchedule.join(",")}`
      : `RETRY_INTERVAL_SECONDS=${settings.retryIntervalSeconds} MAX_RETRY_LIMIT=${settings.maxRetryLimit}`;
  process.stdout.write(
    `${FAKE_NOTICE}; listening on ${fake.url}; ${retries} DELIVERY_MAX_CONCURRENCY=${settings.deliveryMaxConcurrency} ` +
      `DELIVERY_TIMEOUT_SECONDS=${settings.deliveryTimeoutSeconds} ` +
      `DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP=${settings.includeMillisecondTimestamp} ` +
      `API_KEY ${settings.apiKey === "" ? "not set (every caller is admin)" : "set"}\n`,
  );
  const shutdown = () => {
    fake.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

main().catch((err: Error) => {
  process.stderr.write(`outpost-fake: failed to start: ${err.message}\n`);
  process.exit(1);
});
