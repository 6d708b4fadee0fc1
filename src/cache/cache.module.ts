import KeyvRedis from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import Keyv from 'keyv';
import { AppConfig } from '../config/app-config';
import { CacheController } from './cache.controller';
import { cacheNamespace, ServiceCache } from './service-cache';

/** The shared Redis cache (@nestjs/cache-manager over Keyv and @keyv/redis) and its admin routes. */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const store = new KeyvRedis(
          {
            url: config.redis.url,
            // Fail fast while Redis is away (a read then goes to the source) instead of queueing commands.
            disableOfflineQueue: true,
            socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 1_000) },
          },
          { namespace: cacheNamespace(config.redis.prefix), throwOnConnectError: false },
        );
        return { stores: [new Keyv({ store, namespace: cacheNamespace(config.redis.prefix), useKeyPrefix: false })] };
      },
    }),
  ],
  controllers: [CacheController],
  providers: [ServiceCache],
  exports: [ServiceCache],
})
export class ServiceCacheModule {}
