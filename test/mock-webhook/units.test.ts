import { strict as assert } from "node:assert";
import { ConfigError } from "../../src/config/env";
import { ENV_NAMES, Faults, faultsFromJson, NO_FAULTS, readFaults } from "../../src/receiver/faults";
import { parseLatency } from "../../src/receiver/latency";
import { readMockSettings } from "../../mock-webhook/settings";
import { checkSignature, signBody } from "../../mock-webhook/signature";
import { parseEpochMs, parseRfc3339Ms } from "../../mock-webhook/timestamps";
import { rfc3339Nano } from "./outpost-request";

// Deterministic uniform numbers (mulberry32).
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const oneLine = (fn: () => unknown, ...parts: string[]): void =>
  assert.throws(
    fn,
    (e: Error) => e instanceof ConfigError && !e.message.includes("\n") && parts.every((p) => e.message.includes(p)),
  );

describe("mock webhook: header parsing", () => {
  it("keeps the sub-millisecond fraction of RFC3339Nano timestamps", () => {
    assert.equal(parseRfc3339Ms("2025-01-02T03:04:05.123456789Z"), Date.UTC(2025, 0, 2, 3, 4, 5) + 123.456789);
    assert.equal(parseRfc3339Ms("2025-01-02T03:04:05Z"), Date.UTC(2025, 0, 2, 3, 4, 5));
    assert.equal(parseRfc3339Ms("2025-01-02T05:04:05.5+02:00"), Date.UTC(2025, 0, 2, 3, 4, 5) + 500);
    const t = 1_736_000_000_123.456;
    assert.ok(Math.abs((parseRfc3339Ms(rfc3339Nano(t)) as number) - t) < 1e-3);
    for (const bad of [undefined, "", "1736000000123", "2025-01-02 03:04:05Z", "2025-01-02T03:04:05.1234567890Z"])
      assert.equal(parseRfc3339Ms(bad), undefined);
  });

  it("reads the t0 metadata as epoch milliseconds", () => {
    assert.equal(parseEpochMs("1736000000123.5"), 1736000000123.5);
    assert.equal(parseEpochMs("-1"), undefined);
    assert.equal(parseEpochMs("soon"), undefined);
  });
});

describe("mock webhook: signatures", () => {
  const body = Buffer.from('{"a":1}');
  const secret = "whsec_abc";
  it("keys the HMAC with the whole secret, prefix included", () => {
    assert.equal(checkSignature(body, `v0=${signBody(body, secret)}`, secret), "ok");
    assert.equal(checkSignature(body, `v0=${signBody(body, "abc")}`, secret), "bad");
  });
  it("accepts any signature of a rotation and tells bad, missing and unchecked apart", () => {
    assert.equal(checkSignature(body, `v0=${signBody(body, "whsec_new")},${signBody(body, secret)}`, secret), "ok");
    assert.equal(checkSignature(body, `v1=${signBody(body, secret)}`, secret), "bad");
    assert.equal(checkSignature(body, undefined, secret), "missing");
    assert.equal(checkSignature(body, "v0=00", ""), "unchecked");
  });
});

describe("mock webhook: settings and faults", () => {
  it("rejects bad settings in one line naming the variable", () => {
    oneLine(() => readMockSettings({ MOCK_PORT: "http" }), "MOCK_PORT", "integer");
    oneLine(() => readMockSettings({ MOCK_WORKERS: "0" }), "MOCK_WORKERS");
    oneLine(() => readMockSettings({ MOCK_FAULT_ERROR_RATIO: "1.5" }), "MOCK_FAULT_ERROR_RATIO", "0 to 1");
    oneLine(
      () => readMockSettings({ MOCK_FAULT_ERROR_STATUSES: "500,200" }),
      "MOCK_FAULT_ERROR_STATUSES",
      "400 to 599",
    );
    oneLine(() => readMockSettings({ MOCK_FAULT_TIMEOUT_HOLD: "forever" }), "MOCK_FAULT_TIMEOUT_HOLD", "duration");
    oneLine(
      () => readMockSettings({ MOCK_FAULT_LATENCY: "uniform:50ms,10ms" }),
      "MOCK_FAULT_LATENCY",
      "longtail:MEDIAN,P99",
    );
    oneLine(() => readMockSettings({ MOCK_FAULT_LATENCY: "fixed:1s,2s" }), "MOCK_FAULT_LATENCY");
    oneLine(
      () => readMockSettings({ MOCK_FAULT_ERROR_RATIO: "0.6", MOCK_FAULT_RESET_RATIO: "0.5" }),
      "MOCK_FAULT_RESET_RATIO",
      "at most 1",
    );
    oneLine(() => readMockSettings({ REDIS_URL: "http://x" }), "REDIS_URL");
  });

  it("reads the documented defaults", () => {
    const s = readMockSettings({});
    assert.deepEqual(
      [s.port, s.host, s.workers, s.maxBodyBytes, s.requireSignature],
      [48080, "127.0.0.1", 1, 1_048_576, false],
    );
    assert.deepEqual(s.faults, NO_FAULTS);
  });

  it("merges control JSON into the faults in force, with the same errors", () => {
    const base = readFaults({ MOCK_FAULT_ERROR_RATIO: "0.1" }, ENV_NAMES, NO_FAULTS);
    const next = faultsFromJson('{"errorStatuses":[502,503],"timeoutHold":"7s"}', base);
    assert.deepEqual([next.errorRatio, next.errorStatuses, next.timeoutHoldMs], [0.1, [502, 503], 7000]);
    oneLine(() => faultsFromJson('{"errorRate":1}', base), "errorRate", "errorRatio");
    oneLine(() => faultsFromJson('{"resetRatio":-1}', base), "resetRatio");
    oneLine(() => faultsFromJson("[1]", base), "JSON object");
  });

  it("draws errors, timeouts and resets at their ratios", () => {
    const f = new Faults(
      { ...NO_FAULTS, errorRatio: 0.2, errorStatuses: [500, 503], timeoutRatio: 0.1, resetRatio: 0.05 },
      seeded(7),
    );
    const n = 20_000;
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const d = f.decide();
      const k = d.kind === "error" ? `error:${d.status}` : d.kind;
      seen[k] = (seen[k] ?? 0) + 1;
    }
    const within = (k: string, p: number): void => {
      const sd = Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs((seen[k] ?? 0) - n * p) < 5 * sd, `${k}: ${seen[k]} vs ${n * p}`);
    };
    within("error:500", 0.1);
    within("error:503", 0.1);
    within("timeout", 0.1);
    within("reset", 0.05);
    within("none", 0.65);
  });

  it("samples each latency form with its shape", () => {
    const r = seeded(11);
    const draw = (form: string, n = 20_000): number[] => {
      const s = parseLatency("L", form);
      assert.ok(s !== null);
      return Array.from({ length: n }, () => s(r)).sort((a, b) => a - b);
    };
    const q = (xs: number[], p: number): number => xs[Math.floor(p * (xs.length - 1))];
    assert.equal(parseLatency("L", "none"), null);
    assert.deepEqual(new Set(draw("fixed:20ms", 10)), new Set([20]));
    const u = draw("uniform:10ms,30ms");
    assert.ok(u[0] >= 10 && u[u.length - 1] <= 30 && Math.abs(q(u, 0.5) - 20) < 0.5);
    const g = draw("normal:50ms,10ms");
    assert.ok(Math.abs(q(g, 0.5) - 50) < 0.5 && Math.abs(q(g, 0.8413) - 60) < 0.7);
    const t = draw("longtail:10ms,200ms");
    assert.ok(Math.abs(q(t, 0.5) - 10) < 0.5, `median ${q(t, 0.5)}`);
    assert.ok(Math.abs(q(t, 0.99) - 200) < 30, `p99 ${q(t, 0.99)}`);
  });
});
