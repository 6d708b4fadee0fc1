import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { primaryNodesOf, RedisClient } from './redis.provider';

export class UnsafeRedisError extends Error {}

/**
 * Refuses to start on a Redis that may evict keys: under memory pressure an evicting Redis
 * drops Bull's job hashes silently while `add()` still succeeds. With `noeviction` an enqueue
 * fails loudly instead, and the client gets a 503.
 */
@Injectable()
export class RedisPolicyCheck implements OnModuleInit {
  private readonly logger = new Logger(RedisPolicyCheck.name);

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisClient,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.requireNoEviction) {
      this.logger.warn('REDIS_REQUIRE_NOEVICTION=false: not checking Redis maxmemory-policy');
      return;
    }
    let policy: string | undefined;
    try {
      // Every primary of a cluster holds its share of the jobs: each must refuse to evict.
      const primaries = await primaryNodesOf(this.redis);
      const replies = await Promise.all(primaries.map((node) => node.config('GET', 'maxmemory-policy') as Promise<string[]>));
      policy = replies.map((reply) => reply[1]).find((each) => each !== 'noeviction') ?? 'noeviction';
    } catch (error) {
      // Managed Redis services often disable CONFIG; they are configured by other means.
      this.logger.warn({ err: error }, 'Cannot read Redis maxmemory-policy (CONFIG is disabled); make sure it is noeviction');
      return;
    }
    if (policy !== 'noeviction') {
      throw new UnsafeRedisError(
        `Redis maxmemory-policy is "${policy}"; the queue service needs "noeviction", because eviction silently drops queued jobs. ` +
          'Set it with CONFIG SET maxmemory-policy noeviction (or in redis.conf).',
      );
    }
  }
}
