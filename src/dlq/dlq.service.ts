import { ConflictException, HttpException, Injectable, NotFoundException } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user';
import type { JobSummary } from '../jobs/dto/job-views.dto';
import { isJobType, JobType } from '../job-definitions/job-types';
import { JOB_STATUSES, type JobStatus } from '../job-definitions/job-status';
import { JobsService } from '../jobs/jobs.service';
import { DeadLetterJob } from '../dead-letters/dead-letter.entity';
import { DeadLetterRepository } from '../dead-letters/dead-letter.repository';
import { filterOf, viewOfEntry } from './dead-letter-view.mapper';
import { BulkRetryRequest, DEFAULT_BULK_RETRY_LIMIT } from './dto/bulk-retry.dto';
import type { DlqFilterDto, DlqListQuery } from './dto/dlq-filter.dto';
import type {
  BulkRetryResult, DeadLetterPage, DeadLetterStats, DeadLetterView, ErrorTypeCount,
} from './dto/dlq-views.dto';

/** Job states in which a dead-letter retry would run the job twice or undo newer work. */
const NOT_RETRYABLE: readonly JobStatus[] = ['waiting', 'delayed', 'active', 'completed'];
const RETRYABLE = JOB_STATUSES.filter((status) => !NOT_RETRYABLE.includes(status));

@Injectable()
export class DlqService {
  constructor(
    private readonly entries: DeadLetterRepository,
    private readonly jobs: JobsService,
  ) {}

  async list(user: AuthUser, query: DlqListQuery): Promise<DeadLetterPage> {
    const { items, total } = await this.entries.list(user.tenantId, filterOf(query), query.limit, query.offset);
    return { items: items.map(viewOfEntry), total, limit: query.limit, offset: query.offset };
  }

  async stats(user: AuthUser, query: DlqFilterDto): Promise<DeadLetterStats> {
    const totals = await this.entries.totals(user.tenantId, filterOf(query));
    return {
      total: totals.total,
      byQueue: totals.byQueue.map(({ key, count }) => ({ queue: key, count })),
      byType: totals.byType.map(({ key, count }) => ({ type: key, count })),
      oldestAt: totals.oldestAt,
      newestAt: totals.newestAt,
    };
  }

  failuresByError(user: AuthUser, query: DlqFilterDto): Promise<ErrorTypeCount[]> {
    return this.entries.errorGroups(user.tenantId, filterOf(query));
  }

  async get(user: AuthUser, id: string): Promise<DeadLetterView> {
    return viewOfEntry(await this.findOrFail(user, id));
  }

  async delete(user: AuthUser, id: string): Promise<void> {
    if (!(await this.entries.delete(user.tenantId, id))) throw notFound(id);
  }

  /** Runs the job again under its own id and idempotency key, then forgets the entry. */
  async retry(user: AuthUser, id: string): Promise<JobSummary> {
    const type = await this.retryableType(user, await this.findOrFail(user, id));
    const claimed = await this.entries.claim(user.tenantId, id);
    // Another request retried or deleted it since we looked.
    if (!claimed) throw new ConflictException(`Dead-letter entry ${id} was retried or deleted by another request`);
    return this.requeue(claimed, type);
  }

  /**
   * Retries entries one by one, each on its own: one that cannot be retried is reported and
   * the others go ahead. Several entries of the same job requeue it once.
   */
  async retryMany(user: AuthUser, request: BulkRetryRequest): Promise<BulkRetryResult> {
    const selected = request.ids
      ? await this.entries.findMany(user.tenantId, request.ids)
      : await this.entries.oldest(user.tenantId, filterOf(request.filter), request.limit ?? DEFAULT_BULK_RETRY_LIMIT);
    selected.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const result: BulkRetryResult = { retried: [], failed: [] };
    const found = new Set(selected.map((entry) => entry.id));
    for (const id of request.ids ?? []) {
      if (!found.has(id)) result.failed.push({ id, message: notFound(id).message });
    }
    const requeued = new Set<string>();
    for (const entry of selected) {
      try {
        if (requeued.has(entry.jobId)) {
          await this.entries.delete(user.tenantId, entry.id);
          continue;
        }
        const type = await this.retryableType(user, entry);
        const claimed = await this.entries.claim(user.tenantId, entry.id);
        if (!claimed) throw notFound(entry.id);
        await this.requeue(claimed, type);
        requeued.add(entry.jobId);
        result.retried.push(entry.jobId);
      } catch (error) {
        if (!(error instanceof HttpException)) throw error;
        result.failed.push({ id: entry.id, message: error.message });
      }
    }
    return result;
  }

  /** The entry is already claimed: if the job cannot be put back, the entry is restored. */
  private async requeue(entry: DeadLetterJob, type: JobType): Promise<JobSummary> {
    try {
      return await this.jobs.requeue({
        tenantId: entry.tenantId,
        jobId: entry.jobId,
        type,
        data: entry.data,
        idempotencyKey: entry.idempotencyKey,
        from: RETRYABLE,
      });
    } catch (error) {
      await this.entries.restore(entry);
      throw error;
    }
  }

  /**
   * The entry's job type, if the job may run again. A job retried since it was dead-lettered
   * (e.g. through POST /jobs/:id/retry) is not run a second time.
   */
  private async retryableType(user: AuthUser, entry: DeadLetterJob): Promise<JobType> {
    if (!isJobType(entry.type)) {
      throw new ConflictException(`Job type ${entry.type} no longer exists; the entry cannot be retried`);
    }
    const status = await this.jobs.get(user, entry.jobId).then(
      (job) => job.status,
      (error: unknown) => {
        // Its record was cleaned up: the entry is all that is left, and requeue writes it anew.
        if (error instanceof NotFoundException) return null;
        throw error;
      },
    );
    if (status && NOT_RETRYABLE.includes(status)) {
      throw new ConflictException(`Job ${entry.jobId} is ${status}; it was retried since it was dead-lettered`);
    }
    return entry.type;
  }

  private async findOrFail(user: AuthUser, id: string): Promise<DeadLetterJob> {
    const entry = await this.entries.find(user.tenantId, id);
    if (!entry) throw notFound(id);
    return entry;
  }
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`Dead-letter entry ${id} not found`);
}
