// The xk6-redis Client over node-redis against a real server. Like k6's client
// it rejects on a nil reply with "redis: nil".
import { createClient } from "redis";

export class Client {
  constructor(url) {
    this.client = createClient({ url });
    this.client.on("error", () => undefined);
    this.ready = null;
    globalThis.__k6shimRedis ??= [];
    globalThis.__k6shimRedis.push(this.client);
  }
  async sendCommand(command, ...args) {
    this.ready ??= this.client.connect();
    await this.ready;
    const reply = await this.client.sendCommand([command, ...args.map(String)]);
    if (reply === null) throw new Error("redis: nil");
    return reply;
  }
}
export default { Client };
