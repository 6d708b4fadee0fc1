import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SERVICE_TENANT_ID } from '../job-definitions/job-envelope';
import { RedisClient } from '../database/redis.provider';
import { SystemSubmissions } from '../jobs/system-submissions';
import { MonitoringCheck } from './monitoring-check';
import { MonitoringSwitch } from './monitoring-switch';

export const MONITORING_SCHEDULE_KEY = 'monitoring-check';
const FALLBACK_LOCK_KEY = 'monitoring:fallback-lock';
/** A last check older than this many intervals means the repeatable is not being run. */
const STALE_INTERVALS = 3;

/**
 * The monitoring check as a Bull repeatable `scheduled-task` every MONITORING_INTERVAL_MS: every
 * worker process registers it, Bull keeps one per key and interval, so a deployment checks once
 * per interval however many workers it runs. The cron only enqueues; the check is the job.
 *
 * A job does not run while the emergency stop is on or the background queue is paused, which is
 * when monitoring matters most: each worker also watches the last check's time, and when it is
 * stale runs the check itself, one process per interval (a Redis lock that lapses).
 */
@Injectable()
export class MonitoringSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MonitoringSchedule.name);
  private fallback?: NodeJS.Timeout;
  private running = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly config: AppConfig,
    private readonly submissions: SystemSubmissions,
    private readonly check: MonitoringCheck,
    private readonly monitoringSwitch: MonitoringSwitch,
    private readonly redis: RedisClient,
  ) {}

  onModuleDestroy(): void {
    clearInterval(this.fallback);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { intervalMs } = this.config.monitoring;
    if (!this.config.runsWorkers || intervalMs === 0) return;
    try {
      await this.submissions.repeat(
        { tenantId: SERVICE_TENANT_ID, origin: 'schedule', type: 'scheduled-task', data: { task: 'monitoring-check' } },
        { key: MONITORING_SCHEDULE_KEY, every: intervalMs },
      );
    } catch (error) {
      this.logger.error({ err: error }, 'Could not schedule the monitoring check; the next start registers it again');
    }
    this.fallback = setInterval(() => void this.checkIfStale(), intervalMs);
    this.fallback.unref();
  }

  private async checkIfStale(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { intervalMs } = this.config.monitoring;
    try {
      const last = await this.monitoringSwitch.lastCheck();
      const lastAt = last ? Date.parse(last.at) : this.startedAt;
      if (Date.now() - lastAt < STALE_INTERVALS * intervalMs) return;
      if ((await this.redis.set(FALLBACK_LOCK_KEY, String(process.pid), 'PX', intervalMs, 'NX')) !== 'OK') return;
      const outcome = await this.check.runUnlessStopped();
      if (!outcome.skipped) this.logger.warn({ raised: outcome.raised }, 'The scheduled monitoring check is not running (queues paused?): checked directly');
    } catch (error) {
      this.logger.error({ err: error }, 'The fallback monitoring check failed');
    } finally {
      this.running = false;
    }
  }
}
