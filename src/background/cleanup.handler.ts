import { Injectable } from '@nestjs/common';
import { TenantScope } from '../database/tenant-scope';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { CleanupPayload, CleanupTarget } from '../job-definitions/payloads/background.payloads';
import { QueueRegistry } from '../queue-store/queue-registry';

type Removed = Partial<Record<Exclude<CleanupTarget, 'all'>, number>>;
const COMPLETED_SCAN_LIMIT = 5_000;

/** Removes the submitting tenant's old data; row-level security keeps it to that tenant. */
@Injectable()
@HandlesJob('cleanup')
export class CleanupHandler implements JobHandler<'cleanup', { removed: Removed }> {
  constructor(
    private readonly scope: TenantScope,
    private readonly queues: QueueRegistry,
  ) {}

  async execute(payload: CleanupPayload, context: JobContext): Promise<{ removed: Removed }> {
    const cutoff = new Date(Date.now() - payload.olderThanDays * 24 * 3600 * 1000);
    const wants = (target: Exclude<CleanupTarget, 'all'>) => payload.target === 'all' || payload.target === target;
    const removed: Removed = {};
    if (wants('completed-jobs')) removed['completed-jobs'] = await this.removeCompletedJobs(context.tenantId, cutoff);
    const statements: [Exclude<CleanupTarget, 'all'>, string][] = [
      ['job-records', `DELETE FROM jobs WHERE status IN ('completed','failed','cancelled') AND finished_at < $1`],
      ['idempotency-keys', `DELETE FROM idempotency_keys WHERE expires_at < $1`],
      ['dead-letter', `DELETE FROM dead_letter_jobs WHERE created_at < $1`],
    ];
    await this.scope.run(context.tenantId, async (manager) => {
      for (const [target, sql] of statements) {
        if (!wants(target)) continue;
        const [, count] = (await manager.query(sql, [cutoff])) as [unknown, number];
        removed[target] = count;
      }
    });
    return { removed };
  }

  private async removeCompletedJobs(tenantId: string, cutoff: Date): Promise<number> {
    let count = 0;
    for (const { queue } of this.queues.all()) {
      const completed = await queue.getCompleted(0, COMPLETED_SCAN_LIMIT - 1);
      for (const job of completed) {
        if (job?.data.tenantId === tenantId && (job.finishedOn ?? Infinity) < cutoff.getTime()) {
          await job.remove();
          count += 1;
        }
      }
    }
    return count;
  }
}
