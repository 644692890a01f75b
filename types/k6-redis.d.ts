// @types/k6 has no declaration for the Redis module. This covers what the
// adapter uses; both module names export the same Client (xk6-redis is the
// extension behind k6/experimental/redis).
declare module "k6/x/redis" {
  export type RedisArgument = string | number | boolean;
  export class Client {
    constructor(url: string);
    sendCommand(command: string, ...args: RedisArgument[]): Promise<unknown>;
  }
}
