import { ConfigError } from "../../src/config/env";
import { faultCases } from "./cases-faults";
import { loadCases } from "./cases-load";
import { misconfigurationCases } from "./cases-misconfiguration";
import type { CaseContext } from "./context";
import { E2eStack } from "./stack";
import { type E2eTarget, openE2eTarget } from "./target";

// The end-to-end suite (make e2e; docs/e2e.md): the pinned real k6 running dist/throughput.js
// and dist/verify.js, the real mock process and a real run-state redis-server, against the
// Outpost fake or a real Outpost (target.ts). It says which at the top of its output and in
// every case's title. Mocha runs it with --delay: the target is known before the titles are.

async function main(): Promise<void> {
  let target: E2eTarget;
  try {
    target = await openE2eTarget(process.env);
  } catch (err) {
    const known = err instanceof ConfigError || /^OUTPOST_URL=/.test((err as Error).message);
    console.error(`e2e: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}`);
    process.exit(2);
  }
  console.log(`e2e: against ${target.label} (${target.describe})`);
  const tag = target.kind === "fake" ? "[fake]" : "[Outpost]";
  describe(`e2e against ${target.label}`, function () {
    this.timeout(240_000);
    let stack: E2eStack | undefined;
    before(async () => {
      stack = await E2eStack.open(target);
    });
    after(async () => {
      await stack?.close();
      await target.close();
    });
    const ctx: CaseContext = {
      target,
      title: (text) => `${tag} ${text}`,
      note: (text) => console.log(`      ${tag} ${text}`),
      stack: () => {
        if (stack === undefined) throw new Error("the e2e stack did not start");
        return stack;
      },
    };
    loadCases(ctx);
    faultCases(ctx);
    misconfigurationCases(ctx);
  });
  run();
}

void main();
