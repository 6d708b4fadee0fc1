import KeyvRedis from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import Keyv from 'keyv';
import { AppConfig } from '../config/app-config';
import type { RedisTarget } from '../database/redis-connection';
import { CacheController } from './cache.controller';
import { cacheNamespace, ServiceCache } from './service-cache';

/** node-redis options for @keyv/redis: the single server, or the cluster's seed nodes with REDIS_URL's credentials. */
function keyvConnection(redis: RedisTarget) {
  const client = {
    // Fail fast while Redis is away (a read then goes to the source) instead of queueing commands.
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 1_000) },
  };
  if (!redis.clusterNodes) return { url: redis.url, ...client };
  const nodeUrl = ({ host, port }: { host: string; port: number }) => {
    const url = new URL(redis.url);
    url.hostname = host.includes(':') ? `[${host}]` : host;
    url.port = String(port);
    url.pathname = '';
    return url.toString();
  };
  return { rootNodes: redis.clusterNodes.map((node) => ({ url: nodeUrl(node) })), defaults: client };
}

/** The shared Redis cache (@nestjs/cache-manager over Keyv and @keyv/redis) and its admin routes. */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const store = new KeyvRedis(keyvConnection(config.redis), { namespace: cacheNamespace(config.redis), throwOnConnectError: false });
        return { stores: [new Keyv({ store, namespace: cacheNamespace(config.redis), useKeyPrefix: false })] };
      },
    }),
  ],
  controllers: [CacheController],
  providers: [ServiceCache],
  exports: [ServiceCache],
})
export class ServiceCacheModule {}
