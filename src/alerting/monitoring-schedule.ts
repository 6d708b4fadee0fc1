import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SERVICE_TENANT_ID } from '../job-definitions/job-envelope';
import { SystemSubmissions } from '../jobs/system-submissions';

export const MONITORING_SCHEDULE_KEY = 'monitoring-check';

/**
 * The monitoring check as a Bull repeatable `scheduled-task` every MONITORING_INTERVAL_MS: every
 * worker process registers it, Bull keeps one per key and interval, so a deployment checks once
 * per interval however many workers it runs. The cron only enqueues; the check is the job.
 */
@Injectable()
export class MonitoringSchedule implements OnApplicationBootstrap {
  private readonly logger = new Logger(MonitoringSchedule.name);

  constructor(
    private readonly config: AppConfig,
    private readonly submissions: SystemSubmissions,
  ) {}

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
  }
}
