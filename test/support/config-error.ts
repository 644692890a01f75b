import { strict as assert } from "node:assert";
import { ConfigError } from "../../src/config/env";

// The message of the ConfigError that read() throws; fails the test otherwise.
export function configErrorOf(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail("no ConfigError thrown");
}
