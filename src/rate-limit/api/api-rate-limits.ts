import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { RateLimitRecords } from '../rate-limit-records';
import { ApiLimit, ApiRouteGroup, RateLimitConfig } from '../../config/rate-limits.config';

/** `rate_limits.client_key` that applies to every user of the tenant without a row of their own. */
export const ANY_CLIENT = '*';
/** Bounds the cache's memory whatever the number of callers. */
const MAX_CACHED = 10_000;

interface Cached {
  limit: ApiLimit | null;
  expiresAt: number;
}

/**
 * The API limit of one caller for one route group: a `rate_limits` row for the user (its
 * client_key is the token's subject) or for the whole tenant ('*'), else the configured
 * default of the group. Rows are cached briefly: every request asks.
 */
@Injectable()
export class ApiRateLimits {
  private readonly logger = new Logger(ApiRateLimits.name);
  private readonly cache = new Map<string, Cached>();

  constructor(
    @Inject(RateLimitRecords) private readonly records: Pick<RateLimitRecords, 'clientLimit'>,
    @Inject(RateLimitConfig) private readonly config: Pick<RateLimitConfig, 'api'>,
  ) {}

  async limitFor(user: AuthUser | undefined, group: ApiRouteGroup): Promise<ApiLimit> {
    const configured = this.config.api.limits[group];
    if (!user) return configured;
    return (await this.override(user, group)) ?? configured;
  }

  private async override(user: AuthUser, group: ApiRouteGroup): Promise<ApiLimit | null> {
    const key = `${user.tenantId}|${user.userId}|${group}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.limit;
    let limit: ApiLimit | null;
    try {
      limit = await this.records.clientLimit(user.tenantId, [user.userId, ANY_CLIENT], group);
    } catch (error) {
      // The database being unreachable must not turn every request into a 500; the default applies.
      this.logger.warn({ err: error, tenantId: user.tenantId }, 'Could not read rate_limits; using the default limit');
      return null;
    }
    this.cache.delete(key);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { limit, expiresAt: Date.now() + this.config.api.overrideCacheMs });
    return limit;
  }
}
