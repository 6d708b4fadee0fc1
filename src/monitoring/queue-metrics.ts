import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';

export interface QueueMetricsSnapshot {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: boolean;
}

/** Every write of `queue_metrics`, the history of queue counts (not tenant-owned). */
@Injectable()
export class QueueMetrics {
  constructor(private readonly scope: TenantScope) {}

  async insert(snapshots: QueueMetricsSnapshot[]): Promise<void> {
    await this.scope.system(async (manager) => {
      for (const s of snapshots) {
        await manager.query(
          `INSERT INTO queue_metrics (queue, waiting, active, delayed, completed, failed, paused)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [s.queue, s.waiting, s.active, s.delayed, s.completed, s.failed, s.paused],
        );
      }
    });
  }

  /** Removes snapshots older than `days` (QUEUE_METRICS_RETENTION_DAYS); answers how many. */
  async deleteOlderThan(days: number): Promise<number> {
    return this.scope.system(async (manager) => {
      const [, affected]: [unknown, number] = await manager.query(
        `DELETE FROM queue_metrics WHERE captured_at < now() - make_interval(days => $1)`,
        [days],
      );
      return affected;
    });
  }
}
