import { strict as assert } from "node:assert";
import { CaseContext } from "./case-kit";
import { CASES, type CaseResult, runCase, skipReason } from "./cases";
import { Receiver } from "./receiver";
import {
  expectedOfFake,
  implementationOf,
  loadKnownGaps,
  loadRecorded,
  RECORDED_PATH,
  resultsFile,
  writeResults,
} from "./results";
import { openTarget, type Target } from "./target";

// The conformance suite (docs/conformance.md). By default it starts the Outpost fake
// in-process and every case must come out as it did in the recorded run against a real
// Outpost v1.2.0 (test/conformance/recorded/), apart from the known gaps listed in
// known-gaps.json. With CONFORMANCE_TARGET=env it runs against OUTPOST_URL (make conformance)
// and every case must pass. CONFORMANCE_RESULTS=<file> writes the results as JSON.

const onFake = (process.env.CONFORMANCE_TARGET ?? "fake") === "fake";

describe(`Outpost conformance against ${onFake ? "the fake, compared with the recorded real run" : "OUTPOST_URL"}`, function () {
  this.timeout(onFake ? 30_000 : 300_000);
  let target: Target;
  let receiver: Receiver;
  let ctx: CaseContext;
  const results: Record<string, CaseResult & { title: string }> = {};
  const recorded = loadRecorded();
  const gaps = loadKnownGaps();

  before(async () => {
    target = await openTarget(process.env);
    receiver = await Receiver.start();
    ctx = new CaseContext(target, receiver);
  });

  after(async () => {
    const out = process.env.CONFORMANCE_RESULTS?.trim();
    if (out && target) {
      writeResults(out, resultsFile(target, await implementationOf(target), results));
      process.stdout.write(`conformance results written to ${out}\n`);
    }
    await receiver?.close();
    await target?.close();
  });

  for (const c of CASES) {
    it(`${c.id}: ${c.title}`, async function () {
      const skip = skipReason(c, target);
      if (skip !== undefined) {
        results[c.id] = { title: c.title, result: "skip", detail: skip, ms: 0 };
        this.skip();
      }
      const r = await runCase(c, ctx);
      results[c.id] = { title: c.title, ...r };
      if (!onFake) {
        if (r.result === "fail") throw new Error(r.detail);
        return;
      }
      const e = expectedOfFake(c.id, recorded, gaps);
      if ("error" in e) throw new Error(e.error);
      if (r.result !== e.expected)
        throw new Error(
          `the fake's result is ${r.result}${r.detail ? ` (${r.detail})` : ""}, expected ${e.expected}: ${e.because}`,
        );
    });
  }

  if (onFake) {
    it("the recorded real run and the known gaps name exactly this suite's cases", () => {
      assert.ok(recorded, `no recorded real run at ${RECORDED_PATH}`);
      const ids = CASES.map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, "case ids must be unique");
      assert.deepEqual(Object.keys(recorded.cases).sort(), [...ids].sort(), "recorded cases differ from the suite's");
      for (const g of gaps) {
        assert.ok(ids.includes(g.case), `known gap for an unknown case ${g.case}`);
        assert.equal(
          recorded.cases[g.case].result,
          g.real,
          `known gap ${g.case}: the recorded real result is not ${g.real}`,
        );
        assert.notEqual(g.fake, g.real, `known gap ${g.case} is no difference`);
      }
    });
  }
});
