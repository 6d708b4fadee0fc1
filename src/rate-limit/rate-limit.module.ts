import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import type Redis from 'ioredis';
import { connectRedis, SERVICE_CONNECTION_OPTIONS, serviceKeyPrefix } from '../database/redis-connection';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { ApiRateLimits } from './api/api-rate-limits';
import { ApiThrottlerGuard } from './api/api-throttler.guard';
import { CircuitBreakers } from './circuit-breakers';
import { EmergencyStop } from './emergency-stop';
import { ProviderRateLimiter } from './provider-rate-limiter';
import { RateLimitRecords } from './rate-limit-records';
import { RateLimitStatus } from './rate-limit-status';
import { RateLimitConfig } from '../config/rate-limits.config';
import { RateLimitController } from './rate-limit.controller';

/**
 * A connection of its own (single server or cluster), connecting on first use: worker processes
 * never do. The storage closes it: it closes what it was given when told to, as its own.
 */
function throttlerStorage(config: AppConfig): ThrottlerStorageRedisService {
  const connection = connectRedis(config.redis, {
    keyPrefix: `${serviceKeyPrefix(config.redis)}throttle:`,
    lazyConnect: true,
    ...SERVICE_CONNECTION_OPTIONS,
  });
  // Typed for a single server, it takes a cluster client as well (it checks for both).
  const storage = new ThrottlerStorageRedisService(connection as Redis);
  storage.disconnectRequired = true;
  return storage;
}

/**
 * Provider token buckets, circuit breakers, the emergency stop and API throttling.
 * Import it after AuthModule: global guards run in the order their modules are scanned,
 * and the throttler keys callers by the user that authentication found.
 */
@Module({
  imports: [
    QueueStoreModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig): ThrottlerModuleOptions => {
        const { maxRequests, windowSeconds } = config.rateLimits.api.limits.default;
        return {
          // ApiThrottlerGuard sets limit and window per route group and caller; these are the defaults.
          throttlers: [{ name: 'default', limit: maxRequests, ttl: windowSeconds * 1000 }],
          storage: throttlerStorage(config),
        };
      },
    }),
  ],
  controllers: [RateLimitController],
  providers: [
    { provide: RateLimitConfig, inject: [AppConfig], useFactory: (config: AppConfig) => config.rateLimits },
    RateLimitRecords,
    ProviderRateLimiter,
    CircuitBreakers,
    EmergencyStop,
    RateLimitStatus,
    ApiRateLimits,
    { provide: APP_GUARD, useClass: ApiThrottlerGuard },
  ],
  exports: [ProviderRateLimiter, CircuitBreakers, EmergencyStop],
})
export class RateLimitModule {}
