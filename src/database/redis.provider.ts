import { Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import Redis, { ChainableCommander, Cluster, RedisCommander } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { connectRedis, primariesOf, RedisConnection, SERVICE_CONNECTION_OPTIONS, serviceKeyPrefix } from './redis-connection';

/**
 * The service's own Redis connection (Bull keeps its own): a single server or a cluster client,
 * by configuration. Every key it writes carries the deployment's prefix (a hash tag on a
 * cluster, see serviceKeyPrefix), so test runs and deployments sharing one Redis never collide.
 * Inject `RedisClient`; the commands are ioredis's, the same on both.
 */
export abstract class RedisClient {}
export interface RedisClient extends RedisCommander {
  readonly status: string;
  multi(): ChainableCommander;
  pipeline(): ChainableCommander;
  disconnect(): void;
}

/** The connection behind a RedisClient, for what differs between a server and a cluster. */
export function connectionOf(client: RedisClient): RedisConnection {
  return client as unknown as RedisConnection;
}

/** A further connection like `client` (its prefix included), e.g. for commands defined on it alone. */
export function duplicateOf(client: RedisClient, overrides: { lazyConnect?: boolean } = {}): RedisClient {
  const connection = connectionOf(client);
  const copy = connection instanceof Cluster ? connection.duplicate(undefined, overrides) : connection.duplicate(overrides);
  return copy as unknown as RedisClient;
}

/**
 * The primaries to run per-node commands (SCAN, CONFIG) on. A cluster client knows its nodes
 * once it has read the slots: a command (queued until then) makes sure it has.
 */
export async function primaryNodesOf(client: RedisClient): Promise<Redis[]> {
  const connection = connectionOf(client);
  if (connection instanceof Cluster && connection.status !== 'ready') await connection.ping();
  return primariesOf(connection);
}

export function createRedisClient(config: AppConfig): RedisClient {
  return connectRedis(config.redis, { keyPrefix: serviceKeyPrefix(config.redis), ...SERVICE_CONNECTION_OPTIONS }) as unknown as RedisClient;
}

/** Closes the service's connection last, after the modules that use it. */
@Injectable()
class RedisClientCloser implements OnApplicationShutdown {
  constructor(private readonly client: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

export const REDIS_CLIENT_PROVIDERS: Provider[] = [
  {
    provide: RedisClient,
    inject: [AppConfig],
    useFactory: createRedisClient,
  },
  RedisClientCloser,
];
