import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import type Redis from 'ioredis';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { isPersistedQueue } from '../job-definitions/job-types';
import type { QueueName } from '../job-definitions/queue-names';
import { RedisScript } from '../database/redis-script';
import { JobQueue, QueueRegistry } from './queue-registry';

/** The newest jobs a tenant's index keeps per queue; older ones drop out as new ones come. */
export const TENANT_INDEX_LIMIT = 5_000;

/** A Bull state as a listing names it (`paused` counts as waiting). */
export type IndexedJobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface IndexedJob {
  id: string;
  state: IndexedJobState;
}

/**
 * Reads a tenant's index newest first, drops the ids whose job Redis no longer holds, and
 * answers each job's state from O(log n) lookups only (Bull's own state check scans its lists):
 * completed, failed and delayed are sorted sets; an active job holds its lock; the rest wait.
 */
const LIST_SCRIPT = new RedisScript(`
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local jobKey = ARGV[1] .. id
  if redis.call('EXISTS', jobKey) == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    local state = 'waiting'
    if redis.call('ZSCORE', KEYS[2], id) then state = 'completed'
    elseif redis.call('ZSCORE', KEYS[3], id) then state = 'failed'
    elseif redis.call('ZSCORE', KEYS[4], id) then state = 'delayed'
    elseif redis.call('EXISTS', jobKey .. ':lock') == 1 then state = 'active'
    end
    out[#out + 1] = id
    out[#out + 1] = state
  end
end
return out
`);

/**
 * A sorted set per tenant and Redis-only queue (`…:<queue>:tenant-jobs:<tenant>`, scored by
 * the job's timestamp), written wherever such a job is added, so that a tenant's listing reads
 * its own jobs and never decodes another tenant's, however long the queue. Persisted queues need
 * none: their listings read the `jobs` table through its (tenant, queue, status, time) index.
 */
@Injectable()
export class TenantJobIndex {
  constructor(private readonly queues: QueueRegistry) {}

  /** Indexes jobs just added to `name` (a no-op for persisted queues). */
  async add(name: QueueName, jobs: Job<JobEnvelope>[]): Promise<void> {
    if (isPersistedQueue(name) || !jobs.length) return;
    const queue = this.queues.get(name);
    // One ZADD per tenant with all its jobs' scores and ids: a batch is two commands, not a thousand.
    const members = new Map<string, (number | string)[]>();
    for (const job of jobs) {
      if (!job.data.tenantId) continue;
      const ofTenant = members.get(job.data.tenantId);
      if (ofTenant) ofTenant.push(job.timestamp, String(job.id));
      else members.set(job.data.tenantId, [job.timestamp, String(job.id)]);
    }
    if (!members.size) return;
    const pipeline = queue.client.pipeline();
    for (const [tenantId, scoresAndIds] of members) {
      pipeline.zadd(indexKey(queue, tenantId), ...scoresAndIds);
      pipeline.zremrangebyrank(indexKey(queue, tenantId), 0, -(TENANT_INDEX_LIMIT + 1));
    }
    const results = (await pipeline.exec()) ?? [];
    const failure = results.find(([error]) => error)?.[0];
    if (failure) throw failure;
  }

  /** The tenant's jobs still in Redis, newest first, with their states; at most TENANT_INDEX_LIMIT. */
  async list(name: QueueName, tenantId: string): Promise<IndexedJob[]> {
    const queue = this.queues.get(name);
    const client = queue.client as Redis;
    const flat = (await LIST_SCRIPT.run(
      client,
      [indexKey(queue, tenantId), queue.toKey('completed'), queue.toKey('failed'), queue.toKey('delayed')],
      [queue.toKey(''), TENANT_INDEX_LIMIT],
    )) as string[];
    const jobs: IndexedJob[] = [];
    for (let index = 0; index < flat.length; index += 2) {
      jobs.push({ id: flat[index], state: flat[index + 1] as IndexedJobState });
    }
    return jobs;
  }
}

function indexKey(queue: JobQueue, tenantId: string): string {
  return queue.toKey(`tenant-jobs:${tenantId}`);
}
