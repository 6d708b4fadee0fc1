import type { RedisOptions } from 'ioredis';

/** Reconnect soon after a loss, and then every second: the service is back as soon as Redis is. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * 100, 1_000);
}

/**
 * For connections that serve requests (Bull's command client, the service's own, the
 * throttler's). While Redis is away ioredis holds each command until `maxRetriesPerRequest`
 * reconnect attempts have failed; Bull's defaults (20 attempts, delays growing to 20 s) held a
 * submission for minutes. One retry at most a second apart answers it within about two
 * seconds of trying, so the client hears 503 instead of waiting.
 */
export const REQUEST_CONNECTION_OPTIONS = {
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelayMs,
} satisfies RedisOptions;

/**
 * Connection options from a `redis://` or `rediss://` URL, for Bull: it takes a URL or an
 * options object, and only an object carries the settings above.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.slice(1);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
