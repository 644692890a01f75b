import { strict as assert } from "node:assert";
import { readVerifySettings } from "../../src/config/verify-settings";
import { RunStateStore } from "../../src/runstate/store";
import { renderText } from "../../src/verify/render-text";
import { withRedis } from "../support/redis-server";
import { testProfiles, testRunRecord } from "../support/run-record";
import { publishAndDeliver } from "../support/scripted-run";
import { verifiedReport as runVerification } from "../support/verify-result";

const now = { now: () => Date.now() };
const noSleep = (): Promise<void> => Promise.resolve();

// verify over a run of two traffic profiles, written through the real scripts
// into a real redis-server as throughput and the mock would.
describe("verify per traffic profile against a real redis-server", () => {
  const live = withRedis();
  const profiles = testProfiles([
    { name: "fanout", tenants: 1, destinationsPerTenant: 5, plannedEvents: 40 },
    { name: "steady", tenants: 2, destinationsPerTenant: 1, plannedEvents: 60 },
  ]);
  const [fanout, steady] = profiles;

  async function run(testId: string, lose: (seq: number, d: number) => boolean = () => false) {
    const rec = testRunRecord(testId, 0, 0, { profiles, plannedEvents: 100 });
    const store = new RunStateStore(live.redis, testId);
    await store.createRunRecord(rec);
    // Both scenarios number their events from 0: the ids carry the profile.
    await publishAndDeliver(store, rec, 40, { profile: fanout, receiverHoldMs: 50, open: true, skip: lose });
    await publishAndDeliver(store, rec, 60, { profile: steady });
    return { rec, store };
  }

  const verify = (testId: string, env: Record<string, string> = {}) =>
    runVerification(
      new RunStateStore(live.redis, testId),
      readVerifySettings({ TEST_ID: testId, REDIS_URL: live.server.url, VERIFY_TIMEOUT: "0s", ...env }),
      now,
      noSleep,
    );

  it("keeps a balanced ledger, latency per stage and throughput per profile and in total", async () => {
    await run("prof1");
    const r = await verify("prof1");
    assert.equal(r.outcome, "PASS", r.verdict.reasons.join("; "));
    assert.deepEqual(
      r.profiles.map((p) => [p.name, p.verdict.outcome, p.ledger.totals.accepted, p.ledger.totals.delivered]),
      [
        ["fanout", "PASS", 200, 200],
        ["steady", "PASS", 60, 60],
      ],
    );
    assert.deepEqual([r.ledger.totals.accepted, r.ledger.totals.delivered], [260, 260]);
    assert.deepEqual(
      r.profiles.map((p) => [p.publish.accepted, p.publish.planned]),
      [
        [40, 40],
        [60, 60],
      ],
    );
    assert.equal(r.publish.accepted, 100);
    // The fan-out profile's receiver held each answer 50 ms; the steady one's none.
    const [f, s] = r.profiles;
    assert.deepEqual([f.latency.receiver.count, f.latency.receiver.minMs, f.latency.receiver.maxMs], [200, 50, 50]);
    assert.deepEqual([s.latency.receiver.count, s.latency.receiver.maxMs], [60, 0]);
    // The hold comes after the first byte: neither delivery nor e2e contains it.
    assert.equal(f.latency.delivery.maxMs, s.latency.delivery.maxMs);
    assert.deepEqual([f.latency.publish.count, s.latency.publish.count, r.latency.stages.publish.count], [40, 60, 100]);
    assert.deepEqual(
      [f.throughput.published?.events, f.throughput.delivered?.events, s.throughput.delivered?.events],
      [40, 200, 60],
    );
    assert.equal(r.throughput.delivered?.events, 260);
    const text = renderText(r);
    assert.match(text, /^Run: 2 profiles \(fanout: 1 tenant\(s\) x 5 destination\(s\), .*; steady: 2 tenant\(s\) x 1/m);
    assert.match(text, /^ {2}fanout +PASS +1 x 5 +the mock's +200 +200 +0 +0 +0 +100\.000%/m);
    assert.match(text, /^Latency per stage, profile fanout, ms:\n(.*\n){6} {2}receiver +200 +50\.0 +50\.0/m);
    assert.match(text, /^ {2}receiver: how long the mock held its answer after the first byte/m);
  });

  it("judges each profile on its own: a profile's losses fail the run even where the totals would pass", async () => {
    // 4 of the fan-out profile's 200 deliveries lost: 98% for it, 98.46% over the run.
    await run("prof2", (seq, d) => seq === 3 && d < 4);
    const r = await verify("prof2", { VERIFY_MIN_DELIVERED_RATIO: "0.984" });
    assert.deepEqual(
      r.profiles.map((p) => p.verdict.outcome),
      ["FAIL", "PASS"],
    );
    assert.equal(r.outcome, "FAIL");
    const check = r.verdict.checks.find((c) => c.name === "profiles");
    assert.equal(check?.ok, false);
    assert.match(check?.detail ?? "", /^profile fanout: FAIL \(delivered 196 of 200 expected deliveries \(98\.000%/);
    assert.equal(r.verdict.checks.find((c) => c.name === "delivered")?.ok, true, "the totals alone pass");
    assert.deepEqual(
      r.profiles[0].ledger.missingIds.map((e) => `${e.eventId}@d${e.destination}`),
      ["prof2_fanout_3@d0", "prof2_fanout_3@d1", "prof2_fanout_3@d2", "prof2_fanout_3@d3"],
    );
  });

  it("keeps each profile's publish counters apart and cross-checks them with its own bitmaps", async () => {
    const { rec, store } = await run("prof3");
    await store.recordPublishNotAccepted(rec, rec.profiles[1], 60, "rejected:503");
    await live.redis.command(["HINCRBY", store.keys.publish(0), "accepted", 1]);
    const r = await verify("prof3");
    assert.deepEqual(
      r.profiles.map((p) => [p.publish.failed, p.publish.accepted]),
      [
        [0, 41],
        [1, 60],
      ],
    );
    assert.equal(r.outcome, "VOID");
    assert.deepEqual(r.profiles[0].ledger.voidReasons, [
      "profile fanout: run state lost (Redis restarted without persistence, or evicted or expired keys): publish counter accepted=41 != 40 accepted bits",
    ]);
    assert.deepEqual(r.profiles[1].ledger.voidReasons, []);
  });
});
