import { Client } from "k6/x/redis";
import { redactUrl } from "../../src/config/env";
import type { RedisArg, RedisPort, RedisReply } from "../../src/ports";
import { redisUnavailable } from "../../src/runstate/redis-unavailable";

// RedisPort over k6's Redis module. The bundle maps "k6/x/redis" to
// "k6/experimental/redis" for k6 v0.48-v1.x (webpack.config.js, K6_REDIS).
// The client rejects on a nil reply ("redis: nil"); the port contract says null.
// A connection failure becomes a RedisUnavailableError naming REDIS_URL.
export class K6RedisPort implements RedisPort {
  private readonly client: Client;
  private readonly shownUrl: string;

  constructor(url: string) {
    this.client = new Client(url);
    this.shownUrl = redactUrl(url);
  }

  async command(args: RedisArg[]): Promise<RedisReply> {
    const [name, ...rest] = args;
    try {
      return (await this.client.sendCommand(String(name), ...rest)) as RedisReply;
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (message.includes("redis: nil")) return null;
      throw redisUnavailable(this.shownUrl, message) ?? err;
    }
  }
}
