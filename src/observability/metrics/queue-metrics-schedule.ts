import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { SystemSubmissions } from '../../jobs/system-submissions';

import { SERVICE_TENANT_ID } from '../../job-definitions/job-envelope';

export { SERVICE_TENANT_ID };
export const SNAPSHOT_SCHEDULE_KEY = 'queue-metrics-snapshot';
export const RETENTION_SCHEDULE_KEY = 'queue-metrics-retention';

/**
 * The `queue_metrics` history: a `scheduled-task` snapshot of every queue each
 * QUEUE_METRICS_SNAPSHOT_INTERVAL_MS, and a daily retention run, as Bull repeatable jobs.
 * Every worker process registers both at start-up; Bull keeps one repeatable per key and
 * schedule, so a deployment snapshots once per interval however many workers it runs.
 */
@Injectable()
export class QueueMetricsSchedule implements OnApplicationBootstrap {
  private readonly logger = new Logger(QueueMetricsSchedule.name);

  constructor(
    private readonly config: AppConfig,
    private readonly submissions: SystemSubmissions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { snapshotIntervalMs, snapshotRetentionCron } = this.config.observability;
    if (!this.config.runsWorkers || snapshotIntervalMs === 0) return;
    const base = { tenantId: SERVICE_TENANT_ID, origin: 'schedule', type: 'scheduled-task' } as const;
    try {
      await this.submissions.repeat({ ...base, data: { task: 'queue-metrics-snapshot' } }, { key: SNAPSHOT_SCHEDULE_KEY, every: snapshotIntervalMs });
      await this.submissions.repeat({ ...base, data: { task: 'queue-metrics-retention' } }, { key: RETENTION_SCHEDULE_KEY, cron: snapshotRetentionCron });
    } catch (error) {
      // Metrics history is not worth refusing to start over; the next start registers it again.
      this.logger.error({ err: error }, 'Could not schedule the queue metrics snapshots');
    }
  }
}
