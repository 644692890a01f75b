import { createClient } from "redis";
import { RedisArg, RedisPort, RedisReply } from "../../src/ports";

export type NodeRedisClient = ReturnType<typeof createClient>;

// RedisPort over node-redis (RESP2: nil is null, integers are numbers).
export class NodeRedisPort implements RedisPort {
  constructor(readonly client: NodeRedisClient) {}

  static async connect(url: string): Promise<NodeRedisPort> {
    // No reconnect storm on a dead server: fail fast so callers can answer 503.
    const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => (n > 20 ? false : Math.min(n * 100, 1000)) } });
    client.on("error", () => undefined);
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
