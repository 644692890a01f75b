import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const ROOT = join(__dirname, "../..");
const WEBPACK = join(ROOT, "node_modules/.bin/webpack");

// Builds the k6 bundles into outDir as `npm run build` (flavour undefined) or
// `make build K6_REDIS=<flavour>` would into dist/.
export async function buildBundles(
  flavour: string | undefined,
  outDir: string,
): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, BUNDLE_OUT_DIR: outDir };
  if (flavour === undefined) delete env.K6_REDIS;
  else env.K6_REDIS = flavour;
  return run(WEBPACK, ["--mode", "production"], { cwd: ROOT, env });
}
