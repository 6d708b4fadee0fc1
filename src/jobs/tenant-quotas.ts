import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { TenantLimits } from '../config/quotas.config';
import { RedisClient } from '../database/redis.provider';
import { RedisScript } from '../database/redis-script';
import type { QueueName } from '../job-definitions/queue-names';

/** A job a submission wants to hold in Redis, with its estimated size. */
export interface QuotaClaim {
  jobId: string;
  queue: QueueName;
  bytes: number;
}

/** A reserved job as usage records it. */
export interface HeldJob extends QuotaClaim {
  tenantId: string;
  reservedAt: number;
}

export type QuotaName = 'waitingJobs' | 'redisBytes';

/** Tenant hash fields besides the jobs themselves (job ids are UUIDs, never these). */
const JOBS_FIELD = ':jobs';
const BYTES_FIELD = ':bytes';

/**
 * KEYS: tenant usage hash, owners hash (job id → tenant), tenants set.
 * ARGV: tenant, max jobs, max bytes, now, then queue, job id, bytes per job.
 * All or nothing: either every new job of the claim is counted, or none and the quota is named.
 */
const RESERVE_SCRIPT = new RedisScript(`
local jobs = tonumber(redis.call('HGET', KEYS[1], '${JOBS_FIELD}') or '0')
local bytes = tonumber(redis.call('HGET', KEYS[1], '${BYTES_FIELD}') or '0')
local addJobs, addBytes = 0, 0
for i = 5, #ARGV, 3 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i + 1]) == 0 then
    addJobs = addJobs + 1
    addBytes = addBytes + tonumber(ARGV[i + 2])
  end
end
if jobs + addJobs > tonumber(ARGV[2]) then return {'waitingJobs', jobs, addJobs} end
if bytes + addBytes > tonumber(ARGV[3]) then return {'redisBytes', bytes, addBytes} end
for i = 5, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i + 1], ARGV[i] .. '|' .. ARGV[i + 2] .. '|' .. ARGV[4]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[1])
  end
end
redis.call('HINCRBY', KEYS[1], '${JOBS_FIELD}', addJobs)
redis.call('HINCRBY', KEYS[1], '${BYTES_FIELD}', addBytes)
redis.call('SADD', KEYS[3], ARGV[1])
return {'ok', jobs + addJobs, addJobs}
`);

/**
 * KEYS: tenant usage hash, owners hash. ARGV: job ids. Releases each job still held (a second
 * release of a job is a no-op, so events and sweeps may overlap freely).
 */
const RELEASE_SCRIPT = new RedisScript(`
local released = 0
for _, id in ipairs(ARGV) do
  local held = redis.call('HGET', KEYS[1], id)
  if held then
    local bytes = tonumber(string.match(held, '^[^|]*|([0-9]+)|'))
    redis.call('HDEL', KEYS[1], id)
    redis.call('HINCRBY', KEYS[1], '${JOBS_FIELD}', -1)
    redis.call('HINCRBY', KEYS[1], '${BYTES_FIELD}', -bytes)
    released = released + 1
  end
  redis.call('HDEL', KEYS[2], id)
end
return released
`);

/** KEYS: tenant usage hash, tenants set. ARGV: tenant. In one step, so a reservation meanwhile is kept. */
const FORGET_IDLE_SCRIPT = new RedisScript(`
if tonumber(redis.call('HGET', KEYS[1], '${JOBS_FIELD}') or '0') <= 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 0
`);

/** Over a quota: 429 naming the quota and this tenant's limit; nothing of the request was created. */
export class QuotaExceededException extends HttpException {
  constructor(quota: QuotaName, limit: number, used: number, requested: number) {
    const unit = quota === 'waitingJobs' ? 'unfinished jobs' : 'bytes of job data in Redis';
    super(
      {
        message: `Tenant quota ${quota} exceeded: this tenant may hold at most ${limit} ${unit}; nothing was accepted`,
        details: [{ field: `quota.${quota}`, message: `limit ${limit}, in use ${used}, this request needs ${requested} more` }],
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Per-tenant usage of Redis by API submissions: which jobs a tenant holds there and their
 * estimated bytes, kept in one hash per tenant (`quota:tenant:<id>`) and changed only by the two
 * scripts above, so counts and members never disagree. A submission reserves before anything is
 * written and releases on any failure; a job releases when it finishes or is removed
 * (`TenantQuotaKeeper`).
 */
@Injectable()
export class TenantQuotas {
  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisClient,
  ) {}

  limitsFor(tenantId: string): TenantLimits {
    return this.config.quotas.limitsFor(tenantId);
  }

  /** Counts the claims against the tenant's limits, all or none; throws QuotaExceededException. */
  async reserve(tenantId: string, claims: QuotaClaim[]): Promise<void> {
    if (!claims.length) return;
    const limits = this.limitsFor(tenantId);
    const args = claims.flatMap((claim) => [claim.queue, claim.jobId, String(claim.bytes)]);
    const [verdict, used, requested] = (await RESERVE_SCRIPT.run(
      this.redis, [tenantKey(tenantId), OWNERS_KEY, TENANTS_KEY],
      [tenantId, limits.maxWaitingJobs, limits.maxRedisBytes, Date.now(), ...args],
    )) as [string, number, number];
    if (verdict === 'ok') return;
    const quota = verdict as QuotaName;
    const limit = quota === 'waitingJobs' ? limits.maxWaitingJobs : limits.maxRedisBytes;
    throw new QuotaExceededException(quota, limit, Number(used), Number(requested));
  }

  /** Releases jobs by id, whoever holds them; ids nobody holds are ignored. */
  async release(jobIds: string[]): Promise<number> {
    if (!jobIds.length) return 0;
    const owners = await this.redis.hmget(OWNERS_KEY, ...jobIds);
    const byTenant = new Map<string, string[]>();
    jobIds.forEach((id, index) => {
      const tenantId = owners[index];
      if (tenantId) byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), id]);
    });
    let released = 0;
    for (const [tenantId, ids] of byTenant) {
      released += Number(await RELEASE_SCRIPT.run(this.redis, [tenantKey(tenantId), OWNERS_KEY], ids));
    }
    return released;
  }

  async usageOf(tenantId: string): Promise<{ waitingJobs: number; redisBytes: number }> {
    const [jobs, bytes] = await this.redis.hmget(tenantKey(tenantId), JOBS_FIELD, BYTES_FIELD);
    return { waitingJobs: Number(jobs ?? 0), redisBytes: Number(bytes ?? 0) };
  }

  async tenants(): Promise<string[]> {
    return this.redis.smembers(TENANTS_KEY);
  }

  /** A tenant's held jobs, a page at a time (HSCAN). */
  async *heldBy(tenantId: string): AsyncGenerator<HeldJob[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(tenantKey(tenantId), cursor, 'COUNT', 500);
      const page: HeldJob[] = [];
      for (let index = 0; index < flat.length; index += 2) {
        const [queue, bytes, reservedAt] = flat[index + 1].split('|');
        if (flat[index].startsWith(':')) continue;
        page.push({ tenantId, jobId: flat[index], queue: queue as QueueName, bytes: Number(bytes), reservedAt: Number(reservedAt) });
      }
      if (page.length) yield page;
      cursor = next;
    } while (cursor !== '0');
  }

  /** Drops a tenant from the sweep's list once it holds nothing (a reservation since re-adds it). */
  async forgetIfIdle(tenantId: string): Promise<void> {
    await FORGET_IDLE_SCRIPT.run(this.redis, [tenantKey(tenantId), TENANTS_KEY], [tenantId]);
  }
}

const OWNERS_KEY = 'quota:owners';
const TENANTS_KEY = 'quota:tenants';

function tenantKey(tenantId: string): string {
  return `quota:tenant:${tenantId}`;
}

/** A job's estimated Redis footprint: its serialized Bull data and options. */
export function estimatedBytes(data: unknown, options: unknown): number {
  return Buffer.byteLength(JSON.stringify(data)) + Buffer.byteLength(JSON.stringify(options ?? {}));
}
