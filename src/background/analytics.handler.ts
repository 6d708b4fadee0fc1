import { Injectable } from '@nestjs/common';
import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import { RedisClient } from '../database/redis.provider';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { AnalyticsProcessPayload } from '../job-definitions/payloads/background.payloads';

const RETENTION_SECONDS = 90 * 24 * 3600;
type AnalyticsResult = { event: string; day: string; count: number };

/** Counts each tenant's events per UTC day in Redis, kept for 90 days. */
@Injectable()
@HandlesJob('analytics-process')
export class AnalyticsHandler implements JobHandler<'analytics-process', AnalyticsResult> {
  constructor(private readonly redis: RedisClient) {}

  async execute(payload: AnalyticsProcessPayload, context: JobContext): Promise<AnalyticsResult> {
    const day = (parseIsoTimestamp(payload.occurredAt) ?? new Date()).toISOString().slice(0, 10);
    const key = `analytics:${context.tenantId}:${day}`;
    const [[, count]] = (await this.redis
      .multi()
      .hincrby(key, payload.event, 1)
      .expire(key, RETENTION_SECONDS)
      .exec()) as [[null, number], [null, number]];
    return { event: payload.event, day, count };
  }
}
