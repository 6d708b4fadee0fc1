import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';

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
 * For the service's own connections (not Bull's: users report "Job is not in the active list"
 * errors with it on Bull's, taskforcesh/bullmq#457). ioredis sends the commands issued in one
 * turn of the event loop, concurrent requests' and jobs' alike, in one write. Socket writes were 15% of the process's CPU in the profile of
 * the HTTP lifecycle (about 60 µs each on the bench's machine); this took a payment's writes
 * from 7.9 to 4.1 (README, Performance, tenth round).
 */
export const SERVICE_CONNECTION_OPTIONS = {
  ...REQUEST_CONNECTION_OPTIONS,
  enableAutoPipelining: true,
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

/** Where Redis is: one server at `url`, or a cluster seeded by `clusterNodes` (then `url` gives credentials and TLS). */
export interface RedisTarget {
  url: string;
  prefix: string;
  clusterNodes?: { host: string; port: number }[];
}

export type RedisConnection = Redis | Cluster;

/**
 * The prefix of the service's own keys (and channels). On a cluster the deployment prefix is a
 * hash tag, `{prefix}:`, so every key the service writes lives in one slot: multi-key commands,
 * MULTI and the Lua scripts (token bucket, throttler) never cross slots, and one SCAN of the
 * slot's node finds them all. On one server it stays `prefix:`, the layout existing data has.
 */
export function serviceKeyPrefix(target: RedisTarget): string {
  return target.clusterNodes ? `{${target.prefix}}:` : `${target.prefix}:`;
}

/**
 * Bull's prefix for a queue. Bull's scripts touch many keys of one queue at once, so on a
 * cluster each queue's keys share a slot through a hash tag of their own (Bull's documented
 * pattern); the three queues land on different slots, usually different nodes.
 */
export function bullPrefix(target: RedisTarget, queue: string): string {
  return target.clusterNodes ? `{${target.prefix}:bull:${queue}}` : `${target.prefix}:bull`;
}

/**
 * A connection to the single Redis or to the cluster, the one place that knows which. Options
 * are ioredis's; on a cluster they go to each node's connection, except `keyPrefix`,
 * `lazyConnect` and `enableAutoPipelining`, which the cluster client takes itself.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions = {}, clusterOptions: ClusterOptions = {}): RedisConnection {
  const { host, port, db, ...credentials } = redisOptionsFromUrl(target.url);
  if (!target.clusterNodes) return new Redis({ host, port, ...(db === undefined ? {} : { db }), ...credentials, ...options });
  const { keyPrefix, lazyConnect, enableAutoPipelining, ...nodeOptions } = options;
  return new Cluster(target.clusterNodes, {
    keyPrefix,
    lazyConnect,
    enableAutoPipelining,
    clusterRetryStrategy: reconnectDelayMs,
    redisOptions: { ...credentials, ...nodeOptions },
    ...clusterOptions,
  });
}

/** Every primary of a cluster, or the single server: for SCAN and CONFIG, which answer per node. */
export function primariesOf(connection: RedisConnection): Redis[] {
  return connection instanceof Cluster ? connection.nodes('master') : [connection];
}
