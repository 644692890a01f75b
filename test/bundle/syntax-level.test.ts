import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AnyNode, type ecmaVersion, parse } from "acorn";
import { full } from "acorn-walk";
import { buildBundles } from "../support/bundle-build";

// What each flavour's k6 range runs (docs/loadtest.md, "JavaScript syntax level"):
//   experimental, k6 v0.48-v0.52: k6 hands every ES module to its internal
//     Babel 6.26 parser, which stops at ES2017; v0.53-v1.x parse natively.
//   xk6, k6 v1.2+: Sobek runs ES2022 except async iteration and some RegExp
//     syntax (its tc39 feature blacklist).
interface SyntaxLevel {
  ecmaVersion: Exclude<ecmaVersion, "latest">;
  sobekOnly: boolean;
}

const LEVELS: Record<string, SyntaxLevel> = {
  xk6: { ecmaVersion: 2022, sobekOnly: true },
  experimental: { ecmaVersion: 2017, sobekOnly: false },
};

// es: the edition that introduced it; sobek: whether k6 v1.2's Sobek runs it.
interface Construct {
  name: string;
  es: number;
  sobek: boolean;
}

function regexConstructs(pattern: string, flags: string): Construct[] {
  const found: Construct[] = [];
  if (/\(\?<[A-Za-z_$]/.test(pattern)) found.push({ name: "RegExp named group", es: 2018, sobek: false });
  if (/\(\?<[=!]/.test(pattern)) found.push({ name: "RegExp lookbehind", es: 2018, sobek: true });
  if (/\\[pP]\{/.test(pattern) && /[uv]/.test(flags))
    found.push({ name: "RegExp property escape", es: 2018, sobek: false });
  if (flags.includes("s")) found.push({ name: "RegExp s flag", es: 2018, sobek: true });
  if (flags.includes("d")) found.push({ name: "RegExp d flag", es: 2022, sobek: false });
  if (flags.includes("v")) found.push({ name: "RegExp v flag", es: 2024, sobek: false });
  return found;
}

// Names the post-ES2017 syntax a node uses, so a failure says what to change.
function constructsOf(node: AnyNode): Construct[] {
  switch (node.type) {
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      return node.async && node.generator ? [{ name: "async generator", es: 2018, sobek: false }] : [];
    case "ForOfStatement":
      return node.await ? [{ name: "for await...of", es: 2018, sobek: false }] : [];
    case "ObjectExpression":
      return node.properties.some((p) => p.type === "SpreadElement")
        ? [{ name: "object spread {...x}", es: 2018, sobek: true }]
        : [];
    case "ObjectPattern":
      return node.properties.some((p) => p.type === "RestElement")
        ? [{ name: "object rest {...x}", es: 2018, sobek: true }]
        : [];
    case "CatchClause":
      return node.param ? [] : [{ name: "optional catch binding", es: 2019, sobek: true }];
    case "ChainExpression":
      return [{ name: "optional chaining ?.", es: 2020, sobek: true }];
    case "LogicalExpression":
      return node.operator === "??" ? [{ name: "nullish coalescing ??", es: 2020, sobek: true }] : [];
    case "AssignmentExpression":
      return ["??=", "||=", "&&="].includes(node.operator)
        ? [{ name: `logical assignment ${node.operator}`, es: 2021, sobek: true }]
        : [];
    case "ImportExpression":
      return [{ name: "dynamic import()", es: 2020, sobek: false }];
    case "ExportAllDeclaration":
      return node.exported ? [{ name: "export * as name", es: 2020, sobek: true }] : [];
    case "PropertyDefinition":
      return [
        { name: node.key.type === "PrivateIdentifier" ? "private class field" : "class field", es: 2022, sobek: true },
      ];
    case "MethodDefinition":
      return node.key.type === "PrivateIdentifier" ? [{ name: "private method", es: 2022, sobek: true }] : [];
    case "StaticBlock":
      return [{ name: "class static block", es: 2022, sobek: true }];
    case "BinaryExpression":
      return node.left.type === "PrivateIdentifier" ? [{ name: "#x in obj", es: 2022, sobek: true }] : [];
    case "Literal":
      if (node.bigint !== undefined) return [{ name: "BigInt literal", es: 2020, sobek: true }];
      if (node.regex) return regexConstructs(node.regex.pattern, node.regex.flags);
      return typeof node.value === "number" && node.raw?.includes("_")
        ? [{ name: "numeric separator", es: 2021, sobek: true }]
        : [];
    default:
      return [];
  }
}

// The constructs the level forbids, one line each, or acorn's own error when
// the restricted parse fails on something constructsOf does not name.
function syntaxViolations(code: string, level: SyntaxLevel): string[] {
  const lines = code.split("\n");
  const at = (line: number) => `line ${line}: ${lines[line - 1].trim().slice(0, 120)}`;
  const found: Array<{ line: number; text: string }> = [];
  full(parse(code, { ecmaVersion: "latest", sourceType: "module", locations: true }), (node) => {
    const line = node.loc?.start.line ?? 0;
    for (const c of constructsOf(node)) {
      if (c.es > level.ecmaVersion || (level.sobekOnly && !c.sobek))
        found.push({ line, text: `${c.name} (ES${c.es}) at ${at(line)}` });
    }
  });
  try {
    parse(code, { ecmaVersion: level.ecmaVersion, sourceType: "module", locations: true });
  } catch (err) {
    const line = (err as { loc: { line: number } }).loc.line;
    if (found.length === 0)
      found.push({ line, text: `acorn (ecmaVersion ${level.ecmaVersion}): ${(err as Error).message} at ${at(line)}` });
  }
  return [...new Set(found.sort((a, b) => a.line - b.line).map((f) => f.text))];
}

describe("k6 bundle syntax level", function () {
  this.timeout(120_000);
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "olt-syntax-"));
    await Promise.all(Object.keys(LEVELS).map((flavour) => buildBundles(flavour, join(tmp, flavour))));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  for (const [flavour, level] of Object.entries(LEVELS)) {
    for (const entry of ["throughput", "verify"]) {
      const what = `ES${level.ecmaVersion}${level.sobekOnly ? " minus what Sobek lacks" : ""}`;
      it(`${flavour}/${entry}.js uses only ${what}`, () => {
        const violations = syntaxViolations(readFileSync(join(tmp, flavour, `${entry}.js`), "utf8"), level);
        if (violations.length > 0)
          assert.fail(`${flavour}/${entry}.js has syntax beyond ${what}:\n  ${violations.join("\n  ")}`);
      });
    }
  }

  it("names the construct and line of syntax beyond the level", () => {
    const code =
      'import http from "k6/http";\nlet a;\nexport default async function () {\n  a ??= { ...http };\n  for await (const x of []) a = x;\n}\n';
    assert.deepEqual(syntaxViolations(code, LEVELS.experimental), [
      "object spread {...x} (ES2018) at line 4: a ??= { ...http };",
      "logical assignment ??= (ES2021) at line 4: a ??= { ...http };",
      "for await...of (ES2018) at line 5: for await (const x of []) a = x;",
    ]);
    assert.deepEqual(syntaxViolations(code, LEVELS.xk6), [
      "for await...of (ES2018) at line 5: for await (const x of []) a = x;",
    ]);
    assert.deepEqual(syntaxViolations("await 0;\n", LEVELS.experimental), [
      "acorn (ecmaVersion 2017): Cannot use keyword 'await' outside an async function (1:0) at line 1: await 0;",
    ]);
  });
});
