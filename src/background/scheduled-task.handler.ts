import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';
import { HandlesJob, JobHandler } from '../job-definitions/job-handler';
import type { ScheduledTaskPayload } from '../job-definitions/payloads/background.payloads';
import { QueueRegistry } from '../queue-store/queue-registry';

type TaskResult = { task: string; queues: number };

/** Runs one of the named maintenance tasks that schedules can trigger. */
@Injectable()
@HandlesJob('scheduled-task')
export class ScheduledTaskHandler implements JobHandler<'scheduled-task', TaskResult> {
  constructor(
    private readonly scope: TenantScope,
    private readonly queues: QueueRegistry,
  ) {}

  async execute(payload: ScheduledTaskPayload): Promise<TaskResult> {
    switch (payload.task) {
      case 'queue-metrics-snapshot':
        return { task: payload.task, queues: await this.snapshotQueueMetrics() };
    }
  }

  /** One `queue_metrics` row per queue with its current counts. */
  private async snapshotQueueMetrics(): Promise<number> {
    const rows = await Promise.all(
      this.queues.all().map(async ({ name, queue }) => {
        const [counts, paused] = await Promise.all([queue.getJobCounts(), queue.isPaused()]);
        return [name, counts.waiting, counts.active, counts.delayed, counts.completed, counts.failed, paused];
      }),
    );
    await this.scope.system(async (manager) => {
      for (const row of rows) {
        await manager.query(
          `INSERT INTO queue_metrics (queue, waiting, active, delayed, completed, failed, paused)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          row,
        );
      }
    });
    return rows.length;
  }
}
