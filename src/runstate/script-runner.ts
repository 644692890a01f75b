import type { RedisArg, RedisPort, RedisReply } from "../ports";
import type { Script } from "./scripts";

// Runs Lua scripts by SHA and falls back to EVAL when a node has not seen the
// script (restart, SCRIPT FLUSH, another Redis Cluster node): EVAL both runs
// and caches it there.
export class ScriptRunner {
  private readonly shas = new Map<string, string>();

  constructor(private readonly redis: RedisPort) {}

  async run(script: Script, keys: string[], args: RedisArg[]): Promise<RedisReply> {
    let sha = this.shas.get(script.name);
    if (sha === undefined) {
      sha = String(await this.redis.command(["SCRIPT", "LOAD", script.source]));
      this.shas.set(script.name, sha);
    }
    try {
      return await this.redis.command(["EVALSHA", sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!String((err as Error)?.message ?? err).includes("NOSCRIPT")) throw err;
      return this.redis.command(["EVAL", script.source, keys.length, ...keys, ...args]);
    }
  }
}
