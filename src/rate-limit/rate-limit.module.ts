import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { REQUEST_CONNECTION_OPTIONS } from '../database/redis-connection';
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
          // A connection of its own (closed by the storage), connecting on first use: worker processes never do.
          storage: new ThrottlerStorageRedisService(config.redis.url, {
            keyPrefix: `${config.redis.prefix}:throttle:`,
            lazyConnect: true,
            ...REQUEST_CONNECTION_OPTIONS,
          }),
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
