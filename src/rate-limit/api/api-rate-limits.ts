import { Inject, Injectable, Logger } from '@nestjs/common';
import { CACHE_KEYS } from '../../cache/cache-keys';
import { ServiceCache } from '../../cache/service-cache';
import type { AuthUser } from '../../common/auth/auth-user';
import { RateLimitRecords } from '../rate-limit-records';
import { ApiLimit, ApiRouteGroup, RateLimitConfig } from '../../config/rate-limits.config';

/** `rate_limits.client_key` that applies to every user of the tenant without a row of their own. */
export const ANY_CLIENT = '*';
/**
 * The API limit of one caller for one route group: a `rate_limits` row for the user (its
 * client_key is the token's subject) or for the whole tenant ('*'), else the configured
 * default of the group. Rows are cached briefly in the shared cache (API_RATE_LIMIT_OVERRIDE_CACHE_MS):
 * every request asks.
 */
@Injectable()
export class ApiRateLimits {
  private readonly logger = new Logger(ApiRateLimits.name);

  constructor(
    @Inject(RateLimitRecords) private readonly records: Pick<RateLimitRecords, 'clientLimit'>,
    @Inject(RateLimitConfig) private readonly config: Pick<RateLimitConfig, 'api'>,
    @Inject(ServiceCache) private readonly cache: Pick<ServiceCache, 'getOrLoad'>,
  ) {}

  async limitFor(user: AuthUser | undefined, group: ApiRouteGroup): Promise<ApiLimit> {
    const configured = this.config.api.limits[group];
    if (!user) return configured;
    return (await this.override(user, group)) ?? configured;
  }

  private async override(user: AuthUser, group: ApiRouteGroup): Promise<ApiLimit | null> {
    const key = CACHE_KEYS.apiLimitOverride(user.tenantId, user.userId, group);
    try {
      return await this.cache.getOrLoad(key, this.config.api.overrideCacheMs, () =>
        this.records.clientLimit(user.tenantId, [user.userId, ANY_CLIENT], group),
      );
    } catch (error) {
      // The database being unreachable must not turn every request into a 500; the default applies (and is not cached).
      this.logger.warn({ err: error, tenantId: user.tenantId }, 'Could not read rate_limits; using the default limit');
      return null;
    }
  }
}
