import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { duplicateOf, RedisClient } from '../database/redis.provider';
import { PROVIDERS, ProviderName } from '../job-definitions/provider-names';
import { RateLimitRecords } from './rate-limit-records';
import { TOKEN_BUCKET_SCRIPT } from './token-bucket.script';

export type AcquireResult = { granted: true } | { granted: false; waitMs: number };

export interface BucketStatus {
  provider: ProviderName;
  capacity: number;
  refillPerSecond: number;
  /** Whole tokens available now. */
  remaining: number;
  /** Milliseconds until the next token; 0 when one is available. */
  waitMs: number;
  enabled: boolean;
}

interface Bucket {
  capacity: number;
  refillPerSecond: number;
  /** Absent when the bucket is disabled or has no row: nothing is limited. */
  limiter?: RateLimiterRedis;
  /** Whole seconds an empty bucket needs to fill; the key is forgotten after that. */
  keyTtlSeconds: number;
}

/**
 * One token bucket per provider (rows of `rate_limiters`), held in Redis so every worker
 * process draws on one budget. Never blocks: a refused acquire says how long to wait.
 *
 * Why a custom script rather than RateLimiterRedis as shipped or BurstyRateLimiter: both count
 * in fixed windows, which let 2 × capacity through around a window edge and truncate windows
 * to whole seconds (capacity 5 at 10/s becomes a window of 0 s, i.e. a key that never
 * expires). The token-bucket script (see token-bucket.script.ts) refills continuously at
 * refill_per_second up to capacity, refuses without spending, and takes tokens back on
 * release, while the library still provides the client plumbing and result type.
 */
@Injectable()
export class ProviderRateLimiter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ProviderRateLimiter.name);
  /** A connection of its own: the limiter defines a Lua command on the client it is given. */
  private readonly redis: RedisClient;
  private buckets = new Map<ProviderName, Bucket>();
  /** Acquires refused in this process since it started, per provider (a metric reads them). */
  private readonly refusals = new Map<ProviderName, number>();

  constructor(
    @Inject(RateLimitRecords) private readonly records: Pick<RateLimitRecords, 'providerBuckets'>,
    redis: RedisClient,
  ) {
    // Lazy: an app whose start-up fails before the first acquire leaves no connection behind.
    this.redis = duplicateOf(redis, { lazyConnect: true });
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Reads `rate_limiters` again; tokens already spent stay spent (the state lives in Redis). */
  async reload(): Promise<void> {
    const rows = await this.records.providerBuckets();
    const buckets = new Map<ProviderName, Bucket>();
    for (const provider of PROVIDERS) {
      const row = rows.find((candidate) => candidate.name === provider);
      if (!row) this.logger.warn(`No rate_limiters row for ${provider}: its calls are not rate limited`);
      const capacity = row?.capacity ?? 0;
      const refillPerSecond = row?.refillPerSecond ?? 0;
      const keyTtlSeconds = row ? Math.max(1, Math.ceil(capacity / refillPerSecond)) : 1;
      const limiter = row?.enabled
        ? new RateLimiterRedis({
            storeClient: this.redis,
            keyPrefix: 'provider-bucket',
            points: capacity,
            duration: capacity / refillPerSecond,
            customIncrTtlLuaScript: TOKEN_BUCKET_SCRIPT,
          })
        : undefined;
      buckets.set(provider, { capacity, refillPerSecond, limiter, keyTtlSeconds });
    }
    this.buckets = buckets;
  }

  async acquire(provider: ProviderName): Promise<AcquireResult> {
    const bucket = this.bucketOf(provider);
    if (!bucket.limiter) return { granted: true };
    try {
      await bucket.limiter.consume(provider, 1, this.options(bucket));
      return { granted: true };
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) {
        this.refusals.set(provider, (this.refusals.get(provider) ?? 0) + 1);
        return { granted: false, waitMs: Math.max(1, refusal.msBeforeNext) };
      }
      throw refusal;
    }
  }

  refusedSoFar(provider: ProviderName): number {
    return this.refusals.get(provider) ?? 0;
  }

  /** Gives a token back, for work that was acquired for but not done. */
  async release(provider: ProviderName): Promise<void> {
    const bucket = this.bucketOf(provider);
    if (bucket.limiter) await bucket.limiter.reward(provider, 1, this.options(bucket));
  }

  async getStatus(provider: ProviderName): Promise<BucketStatus> {
    const bucket = this.bucketOf(provider);
    const base = { provider, capacity: bucket.capacity, refillPerSecond: bucket.refillPerSecond };
    if (!bucket.limiter) return { ...base, remaining: bucket.capacity, waitMs: 0, enabled: false };
    // Taking 0 points reads the refilled state without spending (get() expects the library's own format).
    const state = await bucket.limiter.consume(provider, 0, this.options(bucket));
    return { ...base, remaining: state.remainingPoints, waitMs: state.msBeforeNext, enabled: true };
  }

  async isRateLimited(provider: ProviderName): Promise<boolean> {
    return (await this.getWaitTime(provider)) > 0;
  }

  async getWaitTime(provider: ProviderName): Promise<number> {
    return (await this.getStatus(provider)).waitMs;
  }

  /** Refills the bucket at once. */
  async reset(provider: ProviderName): Promise<void> {
    await this.bucketOf(provider).limiter?.delete(provider);
  }

  private bucketOf(provider: ProviderName): Bucket {
    const bucket = this.buckets.get(provider);
    if (!bucket) throw new Error(`Unknown provider ${provider}`);
    return bucket;
  }

  /** customDuration becomes the script's key TTL; at 1 s or more the library also takes its Lua path. */
  private options(bucket: Bucket): { customDuration: number } {
    return { customDuration: bucket.keyTtlSeconds };
  }
}
