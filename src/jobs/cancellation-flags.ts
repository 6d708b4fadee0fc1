import { Injectable } from '@nestjs/common';
import { RedisClient } from '../database/redis.provider';

const FLAG_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Cancellation requests for jobs already running. They live in Redis so that the worker
 * running the job sees them whichever process took the request.
 */
@Injectable()
export class CancellationFlags {
  constructor(private readonly redis: RedisClient) {}

  async request(jobId: string): Promise<void> {
    await this.redis.set(this.key(jobId), '1', 'EX', FLAG_TTL_SECONDS);
  }

  async isRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(jobId))) === 1;
  }

  async clear(jobId: string): Promise<void> {
    await this.redis.del(this.key(jobId));
  }

  private key(jobId: string): string {
    return `cancel:${jobId}`;
  }
}
