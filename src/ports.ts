// The only ways src/ reaches the outside world. k6 adapters live in adapters/k6,
// Node adapters in adapters/node; both must honour these contracts exactly.

export type RedisArg = string | number;
// Maps appear only over RESP3 (k6's go-redis client), e.g. for HGETALL.
export type RedisReply = null | number | string | RedisReply[] | { [field: string]: RedisReply };

export interface RedisPort {
  // One raw command. A nil reply resolves to null (the k6 client rejects on nil:
  // its adapter translates that). Integer replies are numbers.
  command(args: RedisArg[]): Promise<RedisReply>;
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  // Tag for metrics (k6 groups URLs with ids under one name).
  name?: string;
  // Statuses this request expects, when not only 2xx/3xx: a probe's 404 is an
  // answer, not a failure (k6 counts the others in http_req_failed).
  expectedStatuses?: number[];
}

export interface HttpResponse {
  // 0 when no response arrived (connection refused, timeout); error says why.
  status: number;
  body: string;
  error?: string;
}

export interface HttpPort {
  request(req: HttpRequest): Promise<HttpResponse>;
}

export interface Clock {
  // Milliseconds since the Unix epoch; fractional where the runtime allows.
  now(): number;
}
