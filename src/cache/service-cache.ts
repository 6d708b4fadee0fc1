import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { AppConfig } from '../config/app-config';
import { GroupCommit } from '../database/group-commit';
import { serviceKeyPrefix, RedisTarget } from '../database/redis-connection';
import { primaryNodesOf, RedisClient } from '../database/redis.provider';

/** A cache read that Redis cannot answer in time is a miss: the source answers instead. */
const CACHE_READ_TIMEOUT_MS = 250;
const STATS_KEY = 'cache-stats';
const COUNT_FLUSH_MS = 200;

export interface CacheStats {
  hits: number;
  misses: number;
  keys: number;
}

/**
 * What is read often and changes rarely (queue status, API rate-limit overrides), cached in
 * Redis under the service's prefix. There is no in-process copy: every process reads the
 * same entries, so deleting one after a change is seen by all of them at once. A value read
 * before a change and stored after its invalidation lives at most its TTL. Hits and misses
 * are counted in Redis for the whole deployment. Redis trouble never fails a read.
 */
@Injectable()
export class ServiceCache implements OnModuleDestroy {
  private readonly logger = new Logger(ServiceCache.name);
  /** The namespace @keyv/redis writes under, `<namespace>::<key>`. */
  private readonly keyPattern: string;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly redis: RedisClient,
    config: AppConfig,
  ) {
    this.keyPattern = `${cacheNamespace(config.redis)}::*`;
  }

  async getOrLoad<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    if (ttlMs <= 0) return load();
    const cached = await this.read<{ value: T }>(key);
    if (cached) {
      this.count('hits');
      return cached.value;
    }
    this.count('misses');
    const value = await load();
    // Wrapped, so that a cached null (no override) is told apart from a miss.
    await this.cache.set(key, { value }, ttlMs).catch((error: unknown) => this.logger.warn({ err: error, key }, 'Could not cache'));
    return value;
  }

  /**
   * After a change: every process reads the source again. Invalidations asked for while one is
   * under way go together in the next (every submission asks for its queue's), each still sent
   * after the change that asked for it.
   */
  async invalidate(...keys: string[]): Promise<void> {
    await this.invalidations.submit('all', undefined, keys);
  }

  private readonly invalidations = new GroupCommit<undefined, string[], void>(async (_context, asked) => {
    const keys = [...new Set(asked.flat())];
    await this.cache.mdel(keys).catch((error: unknown) => this.logger.warn({ err: error, keys }, 'Could not invalidate cache entries'));
    return asked.map(() => ({ ok: undefined }));
  }, { maxPerStatement: 1000 });

  async stats(): Promise<CacheStats> {
    await this.flushCounts();
    const [counters, keys] = await Promise.all([this.redis.hgetall(STATS_KEY), this.countKeys()]);
    return { hits: Number(counters.hits ?? 0), misses: Number(counters.misses ?? 0), keys };
  }

  /** Empties the cache of this deployment (its prefix only) and answers how many entries it held. */
  async flush(): Promise<number> {
    const keys = await this.countKeys();
    await this.cache.clear();
    // Counts not yet sent belong to the cache being emptied.
    this.unsentCounts.hits = 0;
    this.unsentCounts.misses = 0;
    await this.redis.del(STATS_KEY);
    return keys;
  }

  private async read<T>(key: string): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), CACHE_READ_TIMEOUT_MS)));
    try {
      return await Promise.race([this.cache.get<T>(key), timeout]);
    } catch (error) {
      this.logger.warn({ err: error, key }, 'Cache read failed; reading the source');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Counted here and added to Redis at most COUNT_FLUSH_MS later: one round trip for many reads. */
  private count(counter: 'hits' | 'misses'): void {
    this.unsentCounts[counter] += 1;
    this.countFlush ??= setTimeout(() => void this.flushCounts(), COUNT_FLUSH_MS).unref();
  }

  private readonly unsentCounts = { hits: 0, misses: 0 };
  private countFlush?: NodeJS.Timeout;

  private async flushCounts(): Promise<void> {
    clearTimeout(this.countFlush);
    this.countFlush = undefined;
    const { hits, misses } = this.unsentCounts;
    if (!hits && !misses) return;
    this.unsentCounts.hits = 0;
    this.unsentCounts.misses = 0;
    const pipeline = this.redis.pipeline();
    if (hits) pipeline.hincrby(STATS_KEY, 'hits', hits);
    if (misses) pipeline.hincrby(STATS_KEY, 'misses', misses);
    await pipeline.exec().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushCounts();
  }

  /**
   * SCAN patterns take no key prefix, so the pattern is written out in full. SCAN answers for
   * one node: on a cluster every primary is asked (the entries share one slot, so one answers).
   */
  private async countKeys(): Promise<number> {
    let keys = 0;
    for (const node of await primaryNodesOf(this.redis)) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', this.keyPattern, 'COUNT', 1000);
        keys += batch.length;
        cursor = next;
      } while (cursor !== '0');
    }
    return keys;
  }
}

/** Where @keyv/redis writes the cache: under the service's key prefix (its hash tag on a cluster). */
export function cacheNamespace(redis: RedisTarget): string {
  return `${serviceKeyPrefix(redis)}cache`;
}
