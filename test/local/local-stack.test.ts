import { strict as assert } from "node:assert";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathWithout } from "../support/path-without";
import { freePort, type RedisServer, startRedis } from "../support/redis-server";

// The local stack's scripts (local/*.sh) in the situations CI can produce without Outpost: no
// Outpost anywhere, bad settings, a port held by someone else, and local-down next to processes
// it did not start. Starting the stack itself needs Outpost and is checked by hand (README).

const ROOT = join(__dirname, "../..");
const PORT_VARIABLES = [
  "LOCAL_OUTPOST_PORT",
  "LOCAL_RUNSTATE_REDIS_PORT",
  "LOCAL_MOCK_PORT",
  "LOCAL_PROMETHEUS_PORT",
  "LOCAL_OUTPOST_REDIS_PORT",
  "LOCAL_POSTGRES_PORT",
  "LOCAL_RABBITMQ_PORT",
  "LOCAL_RABBITMQ_DIST_PORT",
  "LOCAL_RABBITMQ_PROMETHEUS_PORT",
  "LOCAL_EPMD_PORT",
  "LOCAL_PROCESS_EXPORTER_PORT",
  "LOCAL_REDIS_EXPORTER_PORT",
  "LOCAL_POSTGRES_EXPORTER_PORT",
];

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Asynchronous: the refusing module proxy below lives in this process and must keep answering.
function run(script: string, env: Record<string, string | undefined>): Promise<Result> {
  const base: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
  const child = spawn("bash", [join(ROOT, "local", script)], { env: base as NodeJS.ProcessEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, stdout, stderr })));
}

function oneLine(r: Result): string {
  assert.equal(r.stdout, "", `stdout: ${r.stdout}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  return lines[0];
}

// Start time of a process (field 22 of /proc/<pid>/stat), as the scripts record it.
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

describe("local stack scripts (local/), without Outpost", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "olt-local-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("no Outpost anywhere: one line naming the four ways, exit 3, nothing started", () => {
    let refusing: Server;
    let proxyUrl: string;
    before(async () => {
      // A module proxy that refuses every module, as proxy.golang.org refuses hookdeck/outpost.
      refusing = createServer((_req, res) => {
        res.writeHead(403).end("This module version is not available.\n");
      });
      await new Promise<void>((r) => refusing.listen(0, "127.0.0.1", () => r()));
      proxyUrl = `http://127.0.0.1:${(refusing.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((r) => refusing.close(() => r())));

    function noOutpostEnv(path: string): Record<string, string | undefined> {
      return {
        PATH: path,
        LOCAL_DIR: join(dir, "state"),
        OUTPOST_BIN: undefined,
        GOPROXY: proxyUrl,
        GOFLAGS: "",
        GONOPROXY: "",
        GOPRIVATE: "",
        GOTOOLCHAIN: "local",
        GOPATH: join(dir, "gopath"),
        GOMODCACHE: join(dir, "gomodcache"),
      };
    }

    function assertNamesTheFourWays(line: string): void {
      for (const way of [
        "OUTPOST_BIN",
        "outpost-server and outpost on PATH",
        "go install github.com/hookdeck/outpost/cmd/outpost-server@v1.2.0",
        "Docker engine for the hookdeck/outpost:v1.2.0 image",
      ]) {
        assert.ok(line.includes(way), `"${way}" missing from: ${line}`);
      }
    }

    function assertNothingStarted(): void {
      const stack = join(dir, "state", "stack");
      const left = existsSync(stack) ? readdirSync(stack).filter((f) => f.endsWith(".pid") || f === "ports") : [];
      assert.deepEqual(left, []);
    }

    const hasGo = spawnSync("bash", ["-c", "command -v go"]).status === 0;

    it("go refused by the module proxy (403), no Docker: local-up and demo say so in one line", async function () {
      if (!hasGo) this.skip(); // the go-absent case below covers machines without go
      const path = pathWithout(join(dir, "bin"), ["outpost", "outpost-server", "docker"]);
      for (const script of ["up.sh", "demo.sh"]) {
        const r = await run(script, noOutpostEnv(path));
        assert.equal(r.status, 3, r.stderr);
        const line = oneLine(r);
        assertNamesTheFourWays(line);
        assert.match(line, /403 Forbidden from GOPROXY=http:\/\/127\.0\.0\.1:\d+/);
      }
      assertNothingStarted();
    });

    it("go absent, no Docker", async () => {
      const path = pathWithout(join(dir, "bin"), ["outpost", "outpost-server", "docker", "go"]);
      const r = await run("up.sh", noOutpostEnv(path));
      assert.equal(r.status, 3, r.stderr);
      const line = oneLine(r);
      assertNamesTheFourWays(line);
      assert.match(line, /here: go is not installed/);
      assertNothingStarted();
    });
  });

  describe("bad settings: one line naming the variable, exit 2, before anything", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ LOCAL_OUTPOST_PORT: "abc" }, /^LOCAL_OUTPOST_PORT="abc" is invalid: expected a port number 1-65535$/],
      [{ LOCAL_POSTGRES_PORT: "0" }, /^LOCAL_POSTGRES_PORT="0" is invalid/],
      [{ LOCAL_PROMETHEUS_PORT: "65536" }, /^LOCAL_PROMETHEUS_PORT="65536" is invalid/],
      [{ LOCAL_MOCK_PORT: "6379" }, /^LOCAL_MOCK_PORT="6379" is invalid: .*LOCAL_RUNSTATE_REDIS_PORT has it/],
      [{ OUTPOST_BIN: "/nonexistent" }, /^OUTPOST_BIN="\/nonexistent" is invalid: expected a directory holding/],
    ];
    for (const [env, expected] of cases) {
      it(`${JSON.stringify(env)}`, async () => {
        for (const script of scriptsReading(env)) {
          const r = await run(script, { ...env, LOCAL_DIR: join(dir, "state") });
          assert.equal(r.status, 2, `${script}: ${r.stderr}`);
          assert.match(oneLine(r), expected);
        }
      });
    }
  });

  it("a port held by another process: local-up names its variable in one line and starts nothing", async () => {
    const redis = await startRedis();
    try {
      const ports = await distinctFreePorts(PORT_VARIABLES.length);
      const env: Record<string, string> = Object.fromEntries(PORT_VARIABLES.map((v, i) => [v, String(ports[i])]));
      env.LOCAL_RUNSTATE_REDIS_PORT = String(redis.port);
      // Found, never run: the port check comes before anything is started.
      const bin = join(dir, "outpost-bin");
      mkdirSync(bin);
      for (const name of ["outpost", "outpost-server"]) {
        writeFileSync(join(bin, name), "#!/bin/sh\nexit 1\n");
        chmodSync(join(bin, name), 0o755);
      }
      const r = await run("up.sh", { ...env, OUTPOST_BIN: bin, LOCAL_DIR: join(dir, "state") });
      assert.equal(r.status, 1, r.stderr);
      assert.match(
        oneLine(r),
        new RegExp(
          `^LOCAL_RUNSTATE_REDIS_PORT=${redis.port}: the port is in use by another process .*not by this stack`,
        ),
      );
      assert.deepEqual(
        readdirSync(join(dir, "state", "stack")).filter((f) => f.endsWith(".pid")),
        [],
      );
      assert.equal(execFileSync("redis-cli", ["-p", String(redis.port), "ping"], { encoding: "utf8" }).trim(), "PONG");
    } finally {
      await redis.stop();
    }
  });

  describe("local-down stops what local-up recorded, and nothing else", () => {
    let redis: RedisServer;
    const children: ChildProcess[] = [];
    const sleeper = (): ChildProcess => {
      const c = spawn("sleep", ["60"], { stdio: "ignore" });
      children.push(c);
      return c;
    };
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      for (const c of children) c.kill("SIGKILL");
      await redis.stop();
    });

    it("leaves a process whose pid was reused, a stale pid file and a port holder alone; stops its own", async () => {
      const stack = join(dir, "state", "stack");
      mkdirSync(stack, { recursive: true });
      const reused = sleeper(); // a pid file naming this pid with another start time: not ours
      const pidReused = reused.pid as number;
      writeFileSync(join(stack, "mock-webhook.pid"), `${pidReused} ${Number(startTime(pidReused)) + 1}\n`);
      writeFileSync(join(stack, "prometheus.pid"), "999999999 1\n"); // no such process
      const own = sleeper(); // recorded the way local-up records: ours
      const pidOwn = own.pid as number;
      writeFileSync(join(stack, "epmd.pid"), `${pidOwn} ${startTime(pidOwn)}\n`);
      // redis listens on a port of the stack's settings, with no pid file.
      const r = await run("down.sh", { LOCAL_DIR: join(dir, "state"), LOCAL_RUNSTATE_REDIS_PORT: String(redis.port) });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`epmd: stopped \\(pid ${pidOwn}\\)`));
      assert.match(r.stdout, /mock-webhook: not running \(stale pid file removed\)/);
      assert.match(r.stdout, /prometheus: not running \(stale pid file removed\)/);
      assert.doesNotMatch(r.stdout, /run-state-redis/);
      assert.equal(alive(pidOwn), false, "local-down did not stop the process it had recorded");
      assert.equal(alive(pidReused), true, "local-down signalled a process it did not start");
      assert.equal(execFileSync("redis-cli", ["-p", String(redis.port), "ping"], { encoding: "utf8" }).trim(), "PONG");
      assert.deepEqual(
        readdirSync(stack).filter((f) => f.endsWith(".pid")),
        [],
      );
    });
  });

  it("local-status shows a recorded outpost-server listening beyond loopback, and warns", async () => {
    // Stands in for a stock v1.2.0 outpost-server, which listens on every interface.
    const wide = spawn(process.execPath, [
      "-e",
      'const s = require("node:http").createServer(); s.listen(0, "0.0.0.0", () => console.log(s.address().port));',
    ]);
    try {
      const port = await new Promise<number>((resolve) => wide.stdout.once("data", (d) => resolve(Number(String(d)))));
      const stack = join(dir, "state", "stack");
      mkdirSync(stack, { recursive: true });
      writeFileSync(join(stack, "outpost-server.pid"), `${wide.pid} ${startTime(wide.pid as number)}\n`);
      const r = await run("status.sh", { LOCAL_DIR: join(dir, "state") });
      assert.equal(r.status, 1, "the other services are not running"); // and that is reported
      assert.match(r.stdout, new RegExp(`^outpost-server +running +${wide.pid} .*0\\.0\\.0\\.0:${port}`, "m"));
      assert.match(r.stdout, /^run-state-redis +stopped/m);
      assert.match(
        r.stdout,
        new RegExp(`warning: listening beyond loopback: outpost-server\\(0\\.0\\.0\\.0:${port}\\)`),
      );
    } finally {
      wide.kill();
    }
  });

  it("the scripts pass shellcheck", () => {
    const scripts = readdirSync(join(ROOT, "local"))
      .filter((f) => f.endsWith(".sh"))
      .map((f) => `local/${f}`);
    const r = spawnSync("shellcheck", ["-x", ...scripts], { cwd: ROOT, encoding: "utf8" });
    assert.ok(r.error === undefined, `shellcheck not runnable (make deps installs it): ${r.error?.message}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

// The scripts that read a setting: the port settings reach up, demo and status; OUTPOST_BIN
// only up and demo.
function scriptsReading(env: Record<string, string>): string[] {
  return "OUTPOST_BIN" in env ? ["up.sh", "demo.sh"] : ["up.sh", "demo.sh", "status.sh"];
}
