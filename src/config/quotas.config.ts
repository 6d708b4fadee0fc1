import * as Joi from 'joi';

/** Per-tenant limits on what a tenant's submissions may hold in Redis (validated once at start-up). */
export interface QuotaEnvironment {
  TENANT_MAX_WAITING_JOBS: number;
  TENANT_MAX_REDIS_BYTES: number;
  TENANT_QUOTA_OVERRIDES?: string;
  TENANT_QUOTA_SWEEP_INTERVAL_MS: number;
}

export interface TenantLimits {
  /** Jobs submitted through the API and not finished yet (waiting, delayed, active, retrying). */
  maxWaitingJobs: number;
  /** Their estimated Redis bytes: the serialized Bull data plus options of each. */
  maxRedisBytes: number;
}

const OVERRIDE = /^([A-Za-z0-9_-]{1,64})=(\d{1,12})\/(\d{1,15})$/;

/** `tenant=jobs/bytes` items, comma-separated. Throws with the bad item's position (never its text). */
export function parseQuotaOverrides(raw: string | undefined): Map<string, TenantLimits> {
  const overrides = new Map<string, TenantLimits>();
  const items = (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  items.forEach((item, index) => {
    const match = OVERRIDE.exec(item);
    if (!match || Number(match[2]) < 1 || Number(match[3]) < 1) {
      throw new Error(`item ${index + 1} must be <tenantId>=<maxWaitingJobs>/<maxRedisBytes> with both limits at least 1`);
    }
    overrides.set(match[1], { maxWaitingJobs: Number(match[2]), maxRedisBytes: Number(match[3]) });
  });
  return overrides;
}

export const QUOTA_ENVIRONMENT_SCHEMA = {
  TENANT_MAX_WAITING_JOBS: Joi.number().integer().min(1).default(100_000),
  // 256 MiB per tenant: well below a typical maxmemory, so one tenant cannot fill Redis for all.
  TENANT_MAX_REDIS_BYTES: Joi.number().integer().min(1_024).default(256 * 1024 * 1024),
  TENANT_QUOTA_OVERRIDES: Joi.string()
    .allow('')
    .custom((value: string, helpers) => {
      try {
        parseQuotaOverrides(value);
        return value;
      } catch (error) {
        return helpers.message({ custom: `TENANT_QUOTA_OVERRIDES: ${(error as Error).message}` });
      }
    })
    .optional(),
  // How often usage is checked against Bull's state, releasing what events missed.
  TENANT_QUOTA_SWEEP_INTERVAL_MS: Joi.number().integer().min(100).default(60_000),
};

export class QuotaConfig {
  readonly defaults: TenantLimits;
  readonly overrides: ReadonlyMap<string, TenantLimits>;
  readonly sweepIntervalMs: number;

  constructor(env: QuotaEnvironment) {
    this.defaults = { maxWaitingJobs: env.TENANT_MAX_WAITING_JOBS, maxRedisBytes: env.TENANT_MAX_REDIS_BYTES };
    this.overrides = parseQuotaOverrides(env.TENANT_QUOTA_OVERRIDES);
    this.sweepIntervalMs = env.TENANT_QUOTA_SWEEP_INTERVAL_MS;
  }

  limitsFor(tenantId: string): TenantLimits {
    return this.overrides.get(tenantId) ?? this.defaults;
  }
}
