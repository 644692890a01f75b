import cluster from "node:cluster";
import { ConfigError } from "../src/config/env";
import type { FaultConfig } from "../src/receiver/faults";
import { log } from "./log";
import { runPrimary, WORKER_FAULTS_ENV } from "./primary";
import { type MockSettings, readMockSettings } from "./settings";
import { runWorker } from "./worker";

function settingsOrExit(): MockSettings {
  try {
    const settings = readMockSettings(process.env);
    const inherited = process.env[WORKER_FAULTS_ENV];
    // A worker takes the faults in force at the primary, which may have changed since start.
    return cluster.isWorker && inherited ? { ...settings, faults: JSON.parse(inherited) as FaultConfig } : settings;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mock-webhook: ${err.message}\n`);
    process.exit(2);
  }
}

const settings = settingsOrExit();
if (cluster.isPrimary && settings.workers > 1) runPrimary(settings);
else
  runWorker(settings).catch((err: unknown) => {
    log(`failed to start: ${(err as Error).message}`);
    process.exit(1);
  });
