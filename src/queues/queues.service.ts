import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { JobStatus as BullState } from 'bull';
import { CACHE_KEYS, queueCacheKeys } from '../cache/cache-keys';
import { ServiceCache } from '../cache/service-cache';
import type { AuthUser } from '../common/auth/auth-user';
import { AppConfig } from '../config/app-config';
import type { JobPage, JobView } from '../jobs/dto/job-views.dto';
import { listingTenantOf, presentJobTo, submitterFilterOf } from '../jobs/job-visibility';
import type { JobStatus } from '../job-definitions/job-status';
import { isPersistedQueue } from '../job-definitions/job-types';
import { statusOfBullState, viewOfBullJob, viewOfBullJobIn, viewOfRecord } from '../jobs/job-view.mapper';
import { JobRecords } from '../persistence/job-records';
import type { ClearQueueResult, QueueJobsQuery, QueueStatusView } from './dto/queue-views.dto';
import type { QueueName } from '../job-definitions/queue-names';
import { QueueRecords } from '../queue-store/queue-records';
import { JobQueue, QueueRegistry } from '../queue-store/queue-registry';
import { TenantJobIndex } from '../queue-store/tenant-job-index';

/** How many Redis-only jobs an admin's cross-tenant listing looks through at most. */
const REDIS_SCAN_LIMIT = 5_000;
const CLEAR_PAGE = 500;
const BULL_STATES: Record<JobStatus, BullState[]> = {
  waiting: ['waiting', 'paused'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
  cancelled: [],
};

@Injectable()
export class QueuesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(QueuesService.name);

  constructor(
    private readonly queues: QueueRegistry,
    private readonly records: JobRecords,
    private readonly queueRecords: QueueRecords,
    private readonly cache: ServiceCache,
    private readonly config: AppConfig,
    private readonly tenantJobs: TenantJobIndex,
  ) {}

  /** Redis keeps nothing across a restart here, so the paused state on record is put back. */
  async onApplicationBootstrap(): Promise<void> {
    for (const name of await this.queueRecords.pausedQueueNames()) {
      await this.queues.get(name).pause();
      this.logger.log(`Queue ${name} is paused (as on record)`);
    }
  }

  list(): Promise<QueueStatusView[]> {
    return this.cache.getOrLoad(CACHE_KEYS.queueList, this.config.queueStatusCacheMs, () =>
      Promise.all(this.queues.all().map(({ name }) => this.currentStatus(name))),
    );
  }

  status(name: QueueName): Promise<QueueStatusView> {
    return this.cache.getOrLoad(CACHE_KEYS.queueStatus(name), this.config.queueStatusCacheMs, () => this.currentStatus(name));
  }

  private async currentStatus(name: QueueName): Promise<QueueStatusView> {
    const queue = this.queues.get(name);
    const [paused, counts] = await Promise.all([queue.isPaused(), queue.getJobCounts()]);
    const { waiting, active, delayed, completed, failed } = counts;
    // Bull counts the jobs of a paused queue apart; they are waiting all the same.
    const held = (counts as { paused?: number }).paused ?? 0;
    return { name, paused, counts: { waiting: waiting + held, active, delayed, completed, failed } };
  }

  /**
   * A platform operator sees every tenant's jobs (other tenants' personal data redacted unless
   * asked for), a venue admin its tenant's, a user the jobs it submitted.
   */
  async jobs(user: AuthUser, name: QueueName, query: QueueJobsQuery): Promise<JobPage> {
    const tenantId = listingTenantOf(user);
    const createdBy = submitterFilterOf(user);
    const present = (view: JobView) => presentJobTo(user, view, query.includePersonalData);
    if (isPersistedQueue(name)) {
      const { items, total } = await this.records.list(tenantId, {
        queue: name, status: query.state, ...(createdBy !== null ? { createdBy } : {}), ...page(query),
      });
      return { items: items.map((record) => present(viewOfRecord(record))), total, ...page(query) };
    }
    if (tenantId !== null) return this.tenantRedisJobs(name, tenantId, createdBy, query);
    const states = query.state ? BULL_STATES[query.state] : Object.values(BULL_STATES).flat();
    const scanned = states.length ? await this.queues.get(name).getJobs(states, 0, REDIS_SCAN_LIMIT - 1) : [];
    const visible = scanned.filter((job) => job).sort((a, b) => b.timestamp - a.timestamp);
    const views = await Promise.all(visible.slice(query.offset, query.offset + query.limit).map(viewOfBullJob));
    return { items: views.map(present), total: visible.length, ...page(query) };
  }

  /**
   * A tenant's Redis-only jobs from its own index: the work is one script over the tenant's
   * entries and one decode per job on the page, however many jobs other tenants have queued.
   */
  private async tenantRedisJobs(
    name: QueueName,
    tenantId: string,
    createdBy: string | null,
    query: QueueJobsQuery,
  ): Promise<JobPage> {
    if (query.state === 'cancelled') return { items: [], total: 0, ...page(query) };
    const indexed = await this.tenantJobs.list(name, tenantId);
    const matching = query.state ? indexed.filter((job) => job.state === query.state) : indexed;
    const queue = this.queues.get(name);
    // Each job is read after its state, as viewOfBullJob does, without Bull's list scans.
    const read = async ({ id, state }: (typeof matching)[number]) => {
      const job = await queue.getJob(id);
      return job && viewOfBullJobIn(job, statusOfBullState(state));
    };
    if (createdBy === null) {
      const onPage = await Promise.all(matching.slice(query.offset, query.offset + query.limit).map(read));
      return { items: onPage.filter((job) => job !== null), total: matching.length, ...page(query) };
    }
    // A user's own jobs: the index is per tenant, so the tenant's entries are read to find them
    // (bounded by the index's cap, and untouched by other tenants' backlog).
    const decoded = await Promise.all(matching.map(async (entry) => {
      const job = await queue.getJob(entry.id);
      return job && job.data.createdBy === createdBy ? viewOfBullJobIn(job, statusOfBullState(entry.state)) : null;
    }));
    const own = decoded.filter((job) => job !== null);
    return { items: own.slice(query.offset, query.offset + query.limit), total: own.length, ...page(query) };
  }

  async pause(name: QueueName): Promise<QueueStatusView> {
    await this.queues.get(name).pause();
    await this.queueRecords.markPaused(name);
    return this.changed(name);
  }

  async resume(name: QueueName): Promise<QueueStatusView> {
    await this.queues.get(name).resume();
    await this.queueRecords.markResumed(name);
    return this.changed(name);
  }

  /**
   * Removes waiting and delayed jobs and marks their records cancelled; running jobs stay, and so
   * does the next run of a repeatable job (Bull schedules the run after it only when it starts).
   */
  async clear(name: QueueName): Promise<ClearQueueResult> {
    const queue = this.queues.get(name);
    const removed: string[] = [];
    for (const state of ['wait', 'paused'] as const) {
      const jobs = await queue.clean(0, state);
      removed.push(...jobs.map((job) => String((job as unknown as { id?: string }).id ?? job)));
    }
    removed.push(...(await this.removeDelayedExceptRepeatable(queue)));
    if (isPersistedQueue(name)) await this.records.markCancelledAcrossTenants(removed);
    await this.cache.invalidate(...queueCacheKeys(name));
    return { name, removed: removed.length };
  }

  /** After a change through the API: every process reads this queue afresh. */
  private async changed(name: QueueName): Promise<QueueStatusView> {
    await this.cache.invalidate(...queueCacheKeys(name));
    return this.currentStatus(name);
  }

  private async removeDelayedExceptRepeatable(queue: JobQueue): Promise<string[]> {
    const removed: string[] = [];
    let kept = 0;
    for (;;) {
      const page = await queue.getDelayed(kept, kept + CLEAR_PAGE - 1);
      if (!page.length) return removed;
      for (const job of page) {
        if (job?.opts.repeat) {
          kept += 1;
        } else if (job) {
          // A job that turned due meanwhile may be locked by a worker: it is running, so it stays.
          if (await job.remove().then(() => true, () => false)) removed.push(String(job.id));
          else kept += 1;
        }
      }
    }
  }
}

function page(query: QueueJobsQuery): { limit: number; offset: number } {
  return { limit: query.limit, offset: query.offset };
}
