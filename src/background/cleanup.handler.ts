import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantScope } from '../database/tenant-scope';
import { DeadLetterRepository } from '../dead-letters/dead-letter.repository';
import { IdempotencyKeys } from '../idempotency/idempotency-keys';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { CleanupPayload, CleanupTarget } from '../job-definitions/payloads/background.payloads';
import { JobRecords } from '../persistence/job-records';
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
    private readonly records: JobRecords,
    private readonly idempotencyKeys: IdempotencyKeys,
    private readonly deadLetters: DeadLetterRepository,
  ) {}

  async execute(payload: CleanupPayload, context: JobContext): Promise<{ removed: Removed }> {
    const cutoff = new Date(Date.now() - payload.olderThanDays * 24 * 3600 * 1000);
    const wants = (target: Exclude<CleanupTarget, 'all'>) => payload.target === 'all' || payload.target === target;
    const removed: Removed = {};
    if (wants('completed-jobs')) removed['completed-jobs'] = await this.removeCompletedJobs(context.tenantId, cutoff);
    const deletions: [Exclude<CleanupTarget, 'all'>, (manager: EntityManager) => Promise<number>][] = [
      ['job-records', (manager) => this.records.deleteFinishedBeforeIn(manager, cutoff)],
      ['idempotency-keys', (manager) => this.idempotencyKeys.deleteExpiredIn(manager, cutoff)],
      ['dead-letter', (manager) => this.deadLetters.deleteCreatedBeforeIn(manager, cutoff)],
    ];
    await this.scope.run(context.tenantId, async (manager) => {
      for (const [target, deleteOlder] of deletions) {
        if (!wants(target)) continue;
        removed[target] = await deleteOlder(manager);
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
