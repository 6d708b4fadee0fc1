import { Injectable } from '@nestjs/common';
import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import { RedisClient } from '../database/redis.provider';
import { RedisScript } from '../database/redis-script';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { AnalyticsProcessPayload } from '../job-definitions/payloads/background.payloads';

const RETENTION_SECONDS = 90 * 24 * 3600;

/** KEYS: the day's hash. ARGV: event, retention. One command a job, where MULTI…EXEC was four. */
const COUNT_SCRIPT = new RedisScript(`
local count = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return count
`);
type AnalyticsResult = { event: string; day: string; count: number };

/** Counts each tenant's events per UTC day in Redis, kept for 90 days. */
@Injectable()
@HandlesJob('analytics-process')
export class AnalyticsHandler implements JobHandler<'analytics-process', AnalyticsResult> {
  constructor(private readonly redis: RedisClient) {}

  async execute(payload: AnalyticsProcessPayload, context: JobContext): Promise<AnalyticsResult> {
    const day = (parseIsoTimestamp(payload.occurredAt) ?? new Date()).toISOString().slice(0, 10);
    const key = `analytics:${context.tenantId}:${day}`;
    const count = Number(await COUNT_SCRIPT.run(this.redis, [key], [payload.event, RETENTION_SECONDS]));
    return { event: payload.event, day, count };
  }
}
