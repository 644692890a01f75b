import { createClient } from "redis";
import { redactUrl } from "../../src/config/env";
import type { RedisArg, RedisPort, RedisReply } from "../../src/ports";
import { redisUnavailable } from "../../src/runstate/redis-unavailable";

export type NodeRedisClient = ReturnType<typeof createClient>;

// RedisPort over node-redis (RESP2: nil is null, integers are numbers). A
// connection failure becomes a RedisUnavailableError naming REDIS_URL.
export class NodeRedisPort implements RedisPort {
  constructor(
    readonly client: NodeRedisClient,
    private readonly shownUrl: string,
  ) {}

  // For tools and tests: a wrong REDIS_URL fails within a second instead of
  // retrying for ever; a connection that was up rides out a short outage.
  static async connect(url: string): Promise<NodeRedisPort> {
    let wasReady = false;
    const client = createClient({
      url,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (n: number, cause: Error) =>
          n >= (wasReady ? 20 : 3) ? cause : Math.min((n + 1) * 100, 1000),
      },
    });
    client.on("error", () => undefined);
    client.on("ready", () => {
      wasReady = true;
    });
    const shownUrl = redactUrl(url);
    await client.connect().catch((err: Error) => {
      throw redisUnavailable(shownUrl, err.message) ?? err;
    });
    return new NodeRedisPort(client, shownUrl);
  }

  async command(args: RedisArg[]): Promise<RedisReply> {
    try {
      return (await this.client.sendCommand(args.map(String))) as RedisReply;
    } catch (err) {
      throw redisUnavailable(this.shownUrl, String((err as Error)?.message ?? err)) ?? err;
    }
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.quit();
  }
}
