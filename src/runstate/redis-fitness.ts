import type { RedisPort, RedisReply } from "../ports";

// Whether a Redis can hold a run's state: the run state is a run's only
// record, so a Redis that may evict its keys is refused, and one that would
// lose them on a restart is worth a warning.
export interface RedisFitness {
  // One line when the Redis must not be used; null when it may.
  refusal: string | null;
  // One line when it may be used but a restart would lose the run state.
  warning: string | null;
}

// "field:value" lines of an INFO section.
function infoFields(reply: RedisReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(reply).split(/\r?\n/)) {
    const cut = line.indexOf(":");
    if (cut > 0 && !line.startsWith("#")) out[line.slice(0, cut)] = line.slice(cut + 1).trim();
  }
  return out;
}

// CONFIG GET is a flat list over RESP2 and a map over RESP3 (k6's client).
function configValue(reply: RedisReply, name: string): string | null {
  if (Array.isArray(reply)) {
    const at = reply.findIndex((x) => String(x) === name);
    return at >= 0 && at + 1 < reply.length ? String(reply[at + 1]) : null;
  }
  if (reply !== null && typeof reply === "object" && name in reply) return String(reply[name]);
  return null;
}

// Policies other than noeviction evict keys once maxmemory is reached; the
// volatile-* ones evict keys with a TTL, which every key of a run has.
export async function assessRunStateRedis(redis: RedisPort, shownUrl: string): Promise<RedisFitness> {
  const memory = infoFields(await redis.command(["INFO", "memory"]));
  const persistence = infoFields(await redis.command(["INFO", "persistence"]));
  const maxmemory = Number(memory.maxmemory ?? 0);
  const policy = memory.maxmemory_policy ?? "unknown";
  const refusal =
    maxmemory > 0 && policy !== "noeviction"
      ? `REDIS_URL=${shownUrl} may evict this run's keys (maxmemory ${maxmemory} bytes, maxmemory-policy ${policy}), which would void the run: use a Redis with maxmemory-policy noeviction (or maxmemory 0) for the run state`
      : null;
  // CONFIG may be disabled on a managed Redis: then RDB save points are unknown.
  const save = await redis.command(["CONFIG", "GET", "save"]).then(
    (r) => configValue(r, "save"),
    () => null,
  );
  const aof = persistence.aof_enabled === "1";
  const warning =
    !aof && save === ""
      ? `REDIS_URL=${shownUrl} has no persistence (appendonly no, no RDB save points): a Redis restart during or after the run loses its state and voids it; run the run-state Redis with appendonly yes`
      : null;
  return { refusal, warning };
}
