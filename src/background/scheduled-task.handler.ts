import { Injectable } from '@nestjs/common';
import { MonitoringCheck } from '../alerting/monitoring-check';
import { AppConfig } from '../config/app-config';
import { DlqRetention } from '../dead-letters/dlq-retention';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { HandlesJob, JobHandler } from '../job-definitions/job-handler';
import type { ScheduledTaskPayload } from '../job-definitions/payloads/background.payloads';
import { QueueMetrics } from '../monitoring/queue-metrics';
import { QueueRegistry } from '../queue-store/queue-registry';

type TaskResult =
  | { task: string; queues: number }
  | { task: string; removed: number }
  | { task: string; removed: number; ran: boolean }
  | { task: string; skipped: true }
  | { task: string; skipped: false; firing: number; raised: string[]; resolved: string[] };

/** Runs one of the named maintenance tasks that schedules can trigger. */
@Injectable()
@HandlesJob('scheduled-task')
export class ScheduledTaskHandler implements JobHandler<'scheduled-task', TaskResult> {
  constructor(
    private readonly queues: QueueRegistry,
    private readonly metrics: QueueMetrics,
    private readonly config: AppConfig,
    private readonly monitoring: MonitoringCheck,
    private readonly idempotency: IdempotencyService,
    private readonly deadLetters: DlqRetention,
  ) {}

  async execute(payload: ScheduledTaskPayload): Promise<TaskResult> {
    switch (payload.task) {
      case 'queue-metrics-snapshot':
        return { task: payload.task, queues: await this.snapshotQueueMetrics() };
      case 'queue-metrics-retention':
        return { task: payload.task, removed: await this.metrics.deleteOlderThan(this.config.observability.snapshotRetentionDays) };
      case 'monitoring-check':
        return this.checkMonitoring(payload.task);
      // Both run under their advisory lock: a tick delivered twice removes rows once.
      case 'idempotency-cleanup':
        return { task: payload.task, removed: await this.idempotency.cleanup() };
      case 'dlq-retention':
        return { task: payload.task, ...(await this.deadLetters.removeExpired()) };
    }
  }

  private async checkMonitoring(task: string): Promise<TaskResult> {
    const outcome = await this.monitoring.runUnlessStopped();
    if (outcome.skipped) return { task, skipped: true };
    return { task, skipped: false, firing: outcome.firing.length, raised: outcome.raised, resolved: outcome.resolved };
  }

  /** One `queue_metrics` row per queue with its current counts. */
  private async snapshotQueueMetrics(): Promise<number> {
    const snapshots = await Promise.all(
      this.queues.all().map(async ({ name, queue }) => {
        const [counts, paused] = await Promise.all([queue.getJobCounts(), queue.isPaused()]);
        const { waiting, active, delayed, completed, failed } = counts;
        return { queue: name, waiting, active, delayed, completed, failed, paused };
      }),
    );
    await this.metrics.insert(snapshots);
    return snapshots.length;
  }
}
