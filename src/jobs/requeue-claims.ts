import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import { RedisClient } from '../database/redis.provider';

/** Longer than any requeue takes; a later failure of the job has another finish time, so another key. */
const CLAIM_TTL_SECONDS = 24 * 3600;

/**
 * The requeue guard of Redis-only jobs, which have no record to claim: one key per finished run
 * of the job, set if absent, so of concurrent retries of that run exactly one goes on. Persisted
 * jobs are claimed on their record instead (JobRecords.claimForRequeue).
 */
@Injectable()
export class RequeueClaims {
  constructor(private readonly redis: RedisClient) {}

  /**
   * True for the one caller that may requeue this finished run; true too when Bull no longer
   * holds the job (a dead-letter retry, whose entry claim already guards it). A job that has not
   * finished (one another request has just put back) is not claimed.
   */
  async claim(jobId: string, stale: Job | null): Promise<boolean> {
    if (!stale) return true;
    if (!stale.finishedOn) return false;
    return (await this.redis.set(`requeue-claim:${jobId}:${stale.finishedOn}`, '1', 'EX', CLAIM_TTL_SECONDS, 'NX')) === 'OK';
  }
}
