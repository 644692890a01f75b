// Node entry for verify: the same src/verify logic as scenarios/verify.ts, for
// tests and drivers that have no k6. Exit codes follow k6: 0 pass, 99 failed
// verdict, 1 bad configuration or missing run.
//   TEST_ID=... npx ts-node --transpile-only tools/verify.ts
import { writeFileSync } from "node:fs";
import { NodeRedisPort } from "../adapters/node/redis";
import { ConfigError, redactUrl } from "../src/config/env";
import { readVerifySettings } from "../src/config/verify-settings";
import { RunStateStore } from "../src/runstate/store";
import { renderText } from "../src/verify/render-text";
import { RunNotFoundError, runVerification } from "../src/verify/run-verification";

export const EXIT_VERDICT_FAILED = 99;

async function main(): Promise<number> {
  const settings = readVerifySettings(process.env);
  const redis = await NodeRedisPort.connect(settings.redisUrl).catch((err: Error) => {
    throw new ConfigError(`REDIS_URL=${redactUrl(settings.redisUrl)} is unreachable: ${err.message}`);
  });
  try {
    const store = new RunStateStore(redis, settings.testId, settings.runTtlSeconds);
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const report = await runVerification(store, settings, { now: () => Date.now() }, sleep);
    process.stdout.write(renderText(report));
    if (settings.summaryJson !== null) writeFileSync(settings.summaryJson, JSON.stringify(report, null, 2));
    return report.verdict.pass ? 0 : EXIT_VERDICT_FAILED;
  } finally {
    await redis.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Expected failures are one line; anything else keeps its stack.
    const known = err instanceof ConfigError || err instanceof RunNotFoundError;
    process.stderr.write(`verify: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
