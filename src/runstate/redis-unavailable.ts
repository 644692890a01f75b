// A run-state Redis that cannot be used at all (no connection, connection
// lost, credentials refused), told apart from a command Redis answered with
// an error. Both Redis adapters turn the former into this error, so every
// entry point can say it in one line naming REDIS_URL.
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisUnavailableError";
  }
}

// Connection failures as go-redis (k6) and node-redis word them.
const UNREACHABLE =
  /dial tcp|connection refused|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|i\/o timeout|no such host|broken pipe|connection reset|use of closed network connection|unexpected EOF|^EOF$|Socket closed|client is closed|Connection timeout|context deadline exceeded/i;
const CREDENTIALS = /NOAUTH|WRONGPASS|invalid (username-)?password|NOPERM/i;

// The one-line error for a failure of the Redis at redactedUrl, or null when
// Redis answered (a command error the caller handles).
export function redisUnavailable(redactedUrl: string, message: string): RedisUnavailableError | null {
  const why = message.replace(/\s+/g, " ").trim();
  if (CREDENTIALS.test(why))
    return new RedisUnavailableError(`REDIS_URL=${redactedUrl} refused the credentials (${why}): check REDIS_URL`);
  if (UNREACHABLE.test(why))
    return new RedisUnavailableError(
      `REDIS_URL=${redactedUrl} is unreachable (${why}): check REDIS_URL and that Redis runs`,
    );
  return null;
}
