import { Injectable } from '@nestjs/common';
import { HandlesJob, JobHandler } from '../job-definitions/job-handler';
import type { ScheduledTaskPayload } from '../job-definitions/payloads/background.payloads';
import { QueueMetrics } from '../monitoring/queue-metrics';
import { QueueRegistry } from '../queue-store/queue-registry';

type TaskResult = { task: string; queues: number };

/** Runs one of the named maintenance tasks that schedules can trigger. */
@Injectable()
@HandlesJob('scheduled-task')
export class ScheduledTaskHandler implements JobHandler<'scheduled-task', TaskResult> {
  constructor(
    private readonly queues: QueueRegistry,
    private readonly metrics: QueueMetrics,
  ) {}

  async execute(payload: ScheduledTaskPayload): Promise<TaskResult> {
    switch (payload.task) {
      case 'queue-metrics-snapshot':
        return { task: payload.task, queues: await this.snapshotQueueMetrics() };
    }
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
