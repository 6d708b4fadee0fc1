import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { REQUEST_CONNECTION_OPTIONS } from './redis-connection';

/**
 * The service's own Redis connection (Bull keeps its own). Every key it writes carries the
 * configured prefix, so test runs and deployments sharing one Redis never collide.
 */
@Injectable()
export class RedisClient extends Redis implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super(config.redis.url, { keyPrefix: `${config.redis.prefix}:`, ...REQUEST_CONNECTION_OPTIONS });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.quit().catch(() => this.disconnect());
  }
}
