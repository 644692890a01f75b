import { ConfigError } from "../../src/config/env";

// Reads a bench's setting; a bad value stops the bench with its one line
// (exit 2) before anything starts.
export function settingOrExit<T>(bench: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${bench}: ${err.message}`);
    process.exit(2);
  }
}
