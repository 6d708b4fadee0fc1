import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';
import type { ApiLimit, ApiRouteGroup } from '../config/rate-limits.config';

/** A row of `rate_limiters`: one provider's token bucket. */
export interface ProviderBucketRow {
  name: string;
  capacity: number;
  refillPerSecond: number;
  enabled: boolean;
}

/** Reads the two rate-limit tables: provider buckets (system) and per-client API limits (tenant). */
@Injectable()
export class RateLimitRecords {
  constructor(private readonly scope: TenantScope) {}

  async providerBuckets(): Promise<ProviderBucketRow[]> {
    const rows: { name: string; capacity: number; refill_per_second: string; enabled: boolean }[] = await this.scope.system(
      (manager) => manager.query('SELECT name, capacity, refill_per_second, enabled FROM rate_limiters ORDER BY name'),
    );
    // `numeric` arrives as a string from pg.
    return rows.map((row) => ({
      name: row.name,
      capacity: row.capacity,
      refillPerSecond: Number(row.refill_per_second),
      enabled: row.enabled,
    }));
  }

  /** The first of `clientKeys` (most specific first) that has a limit for this group, if any. */
  async clientLimit(tenantId: string, clientKeys: string[], group: ApiRouteGroup): Promise<ApiLimit | null> {
    const rows: { max_requests: number; window_seconds: number }[] = await this.scope.run(tenantId, (manager) =>
      manager.query(
        `SELECT max_requests, window_seconds FROM rate_limits
          WHERE tenant_id = $1 AND route_group = $2 AND client_key = ANY($3::text[])
          ORDER BY array_position($3::text[], client_key) LIMIT 1`,
        [tenantId, group, clientKeys],
      ),
    );
    return rows.length ? { maxRequests: rows[0].max_requests, windowSeconds: rows[0].window_seconds } : null;
  }
}
