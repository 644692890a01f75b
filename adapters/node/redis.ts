import { createClient } from "redis";
import type { RedisArg, RedisPort, RedisReply } from "../../src/ports";

export type NodeRedisClient = ReturnType<typeof createClient>;

// RedisPort over node-redis (RESP2: nil is null, integers are numbers).
export class NodeRedisPort implements RedisPort {
  constructor(readonly client: NodeRedisClient) {}

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
    await client.connect();
    return new NodeRedisPort(client);
  }

  async command(args: RedisArg[]): Promise<RedisReply> {
    return (await this.client.sendCommand(args.map(String))) as RedisReply;
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.quit();
  }
}
