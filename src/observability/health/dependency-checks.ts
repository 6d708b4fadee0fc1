import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { RedisClient } from '../../database/redis.provider';
import { reasonOf, withTimeout } from './with-timeout';

/** The stores the service cannot work without: a probe each, bounded by HEALTH_CHECK_TIMEOUT_MS. */
@Injectable()
export class DependencyChecks {
  constructor(
    private readonly config: AppConfig,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisClient,
    private readonly dataSource: DataSource,
  ) {}

  redisCheck(): Promise<HealthIndicatorResult> {
    return this.timed('redis', async () => {
      // A client between reconnects would hold the ping until its retry gives up.
      if (this.redis.status !== 'ready') throw Object.assign(new Error('not connected'), { code: 'NOT_CONNECTED' });
      await this.redis.ping();
    });
  }

  postgresCheck(): Promise<HealthIndicatorResult> {
    return this.timed('postgres', async () => {
      await this.dataSource.query('SELECT 1');
    });
  }

  private async timed(key: string, work: () => Promise<void>): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(key);
    const started = Date.now();
    try {
      await withTimeout(work, this.config.observability.healthCheckTimeoutMs);
      return check.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return check.down({ reason: reasonOf(error) });
    }
  }
}
