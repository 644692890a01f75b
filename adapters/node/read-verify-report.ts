import { readFileSync } from "node:fs";
import { parseVerifyReport } from "../../src/verify/parse-verify-report";
import type { VerifyReport } from "../../src/verify/report";
import { ConfigError } from "../../src/config/env";

// A verify SUMMARY_JSON from disk; an unreadable file is one line naming the setting.
export function readVerifyReport(variable: string, path: string): VerifyReport {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`${variable}=${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseVerifyReport(text, variable, path);
}
