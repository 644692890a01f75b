// Runs a k6 bundle's life cycle in Node, as k6 would with one VU:
//   node --import ./register.mjs run-bundle.mjs <bundle.js> <iterations>
// init, setup(), default(data) `iterations` times (exec.scenario.iterationInTest
// counting up), teardown(data), handleSummary({ setup_data }) when exported.
// Prints one line "RESULT <json>" with options, metric samples and the summary outputs.
import { pathToFileURL } from "node:url";
import { samples } from "./metrics.mjs";

globalThis.__ENV = { ...process.env };

async function main() {
  const [bundlePath, iterationsArg] = process.argv.slice(2);
  const bundle = await import(pathToFileURL(bundlePath).href);
  // Setup data crosses k6 as JSON.
  const data = bundle.setup ? JSON.parse(JSON.stringify((await bundle.setup()) ?? null)) : undefined;
  for (let i = 0; i < Number(iterationsArg ?? 1); i++) {
    globalThis.__k6shim.iterationInTest = i;
    await bundle.default(data);
  }
  if (bundle.teardown) await bundle.teardown(data);
  const summary = bundle.handleSummary ? bundle.handleSummary({ setup_data: data, metrics: {} }) : undefined;
  await Promise.all((globalThis.__k6shimRedis ?? []).map((c) => (c.isOpen ? c.quit() : undefined)));
  process.stdout.write(`RESULT ${JSON.stringify({ options: bundle.options, samples, summary })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
