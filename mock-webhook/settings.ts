import { type CommonSettings, readCommonSettings } from "../src/config/common-settings";
import { type Env, readBool, readDurationMs, readInt, readString } from "../src/config/env";
import { ENV_NAMES, type FaultConfig, NO_FAULTS, readFaults } from "../src/receiver/faults";

export interface MockSettings extends CommonSettings {
  port: number;
  host: string;
  workers: number;
  maxBodyBytes: number;
  requireSignature: boolean;
  // Entries of the per-process debugging cache behind GET /events/:id.
  recentEvents: number;
  // How long SIGTERM waits for in-flight requests before closing them.
  shutdownTimeoutMs: number;
  // Receipts of deliveries arriving within this long share one Redis call (ReceiptWriter).
  receiptWindowMs: number;
  faults: FaultConfig;
}

export function readMockSettings(env: Env): MockSettings {
  return {
    ...readCommonSettings(env),
    port: readInt(env, "MOCK_PORT", 48080, 1, 65535),
    host: readString(
      env,
      "MOCK_HOST",
      "127.0.0.1",
      /^[A-Za-z0-9.:-]+$/,
      "a host name or IP address such as 127.0.0.1 or 0.0.0.0",
    ),
    workers: readInt(env, "MOCK_WORKERS", 1, 1, 64),
    maxBodyBytes: readInt(env, "MOCK_MAX_BODY", 1_048_576, 1, 64 * 1_048_576),
    requireSignature: readBool(env, "MOCK_REQUIRE_SIGNATURE", false),
    recentEvents: readInt(env, "MOCK_RECENT_EVENTS", 10_000, 1, 1_000_000),
    shutdownTimeoutMs: readDurationMs(env, "MOCK_SHUTDOWN_TIMEOUT", "10s", 0, 600_000),
    receiptWindowMs: readDurationMs(env, "MOCK_RECEIPT_WINDOW", "1ms", 0, 1000),
    faults: readFaults(env, ENV_NAMES, NO_FAULTS),
  };
}
