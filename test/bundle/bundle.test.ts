import { strict as assert } from "node:assert";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundles as build, run } from "../support/bundle-build";

// Every static import target, and the names the module exports.
function imports(code: string): string[] {
  return [...code.matchAll(/^\s*import\s[^;]*?from\s*"([^"]+)";?$/gm)].map((m) => m[1]);
}

function exportedNames(code: string): string[] {
  const m = /^export \{([^}]*)\};?\s*$/m.exec(code);
  assert.ok(m, "no export list");
  return m[1]
    .split(",")
    .map(
      (e) =>
        e
          .trim()
          .split(/\s+as\s+/)
          .pop() as string,
    )
    .sort();
}

const ENTRIES: Record<string, string[]> = {
  throughput: ["default", "options", "setup", "teardown"],
  verify: ["default", "handleSummary", "options", "setup"],
};

describe("k6 bundles", function () {
  this.timeout(120_000);
  let tmp: string;
  const bundles: Record<string, Record<string, string>> = {};
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-bundle-"));
    await Promise.all(
      [
        ["xk6", "xk6"],
        ["experimental", "experimental"],
      ].map(async ([name, flavour]) => {
        const dir = join(tmp, name as string);
        await build(flavour, dir);
        bundles[name as string] = Object.fromEntries(
          Object.keys(ENTRIES).map((e) => [e, readFileSync(join(dir, `${e}.js`), "utf8")]),
        );
      }),
    );
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  for (const flavour of ["xk6", "experimental"]) {
    for (const [entry, expected] of Object.entries(ENTRIES)) {
      it(`${flavour}/${entry}.js imports only k6 modules, statically`, () => {
        const code = bundles[flavour][entry];
        const targets = imports(code);
        assert.equal(targets.length, (code.match(/^\s*import\s/gm) ?? []).length, "an import the check cannot read");
        for (const t of targets) assert.match(t, /^k6(\/[a-z0-9/_-]+)?$/, `import of ${t}`);
        assert.doesNotMatch(code, /\brequire\(|import\(|from\s*"(node:|https?:)/);
        const redis = flavour === "xk6" ? "k6/x/redis" : "k6/experimental/redis";
        assert.ok(targets.includes(redis), `${redis} not imported: ${targets.join(", ")}`);
        assert.ok(!targets.includes(flavour === "xk6" ? "k6/experimental/redis" : "k6/x/redis"));
      });

      it(`${flavour}/${entry}.js exports ${expected.join(", ")} and stays readable`, () => {
        const code = bundles[flavour][entry];
        assert.deepEqual(exportedNames(code), expected);
        assert.ok(code.split("\n").length > 200, "looks minified");
      });

      it(`${flavour}/${entry}.js is valid ES module syntax`, async () => {
        const file = join(tmp, `${flavour}-${entry}.mjs`);
        copyFileSync(join(tmp, flavour, `${entry}.js`), file);
        await run(process.execPath, ["--check", file]);
      });
    }
  }

  it('the xk6 flavour starts with "use k6 with k6/x/redis"; the experimental one has no directive', () => {
    for (const entry of Object.keys(ENTRIES)) {
      assert.equal(bundles.xk6[entry].split("\n")[0], '"use k6 with k6/x/redis";');
      assert.doesNotMatch(bundles.experimental[entry], /use k6 with/);
    }
  });

  it("an unknown K6_REDIS stops the build with one line naming it", async () => {
    await assert.rejects(build("v3", join(tmp, "bad")), (err: Error & { stderr?: string }) => {
      assert.equal(String(err.stderr).trim(), 'K6_REDIS="v3" is invalid: expected one of auto, xk6, experimental');
      return true;
    });
  });
});
