import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bull';
import { AppConfig } from '../config/app-config';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import type { QueueName } from '../job-definitions/queue-names';
import { JobQueue, QueueRegistry } from '../queue-store/queue-registry';
import { HeldJob, TenantQuotas } from './tenant-quotas';

/** A reservation whose Bull job does not exist yet may still be on its way in; older ones are lost. */
export const RESERVATION_GRACE_MS = 60_000;

/**
 * Keeps tenant usage in step with Bull: a job is released when it completes, fails for good,
 * or is removed (cancel, queue clear, a rolled-back submission) — Bull's own events of the
 * process that did it, so every path that removes a job is covered without calling us. What an
 * event cannot tell (a crash between the change and the event, a job stalled into failed, jobs
 * trimmed or lost with Redis) the sweep finds: every TENANT_QUOTA_SWEEP_INTERVAL_MS, and once at
 * start, in worker processes, each held job is looked up in Bull and released if it is finished
 * or gone. A second release of a job is a no-op, so events, sweeps and processes may overlap.
 */
@Injectable()
export class TenantQuotaKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantQuotaKeeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;
  private readonly pendingReleases = new Set<string>();
  private releasing?: Promise<void>;

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly quotas: TenantQuotas,
  ) {}

  onApplicationBootstrap(): void {
    for (const { name, queue } of this.queues.all()) {
      queue.on('completed', (job: Job<JobEnvelope>) => this.releaseQuietly([String(job.id)]));
      queue.on('failed', (job: Job<JobEnvelope>) => void this.releaseIfFinished(name, [String(job.id)]));
      queue.on('removed', (job: Job<JobEnvelope> | string) => this.releaseQuietly([typeof job === 'string' ? job : String(job.id)]));
      queue.on('cleaned', (jobs: (Job<JobEnvelope> | string)[]) =>
        this.releaseQuietly(jobs.map((job) => (typeof job === 'string' ? job : String(job.id)))));
    }
    if (!this.config.runsWorkers) return;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.quotas.sweepIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Releases every held job that Bull has finished or no longer holds; answers how many. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    let released = 0;
    try {
      for (const tenantId of await this.quotas.tenants()) {
        for await (const page of this.quotas.heldBy(tenantId)) {
          released += await this.quotas.release(await this.finishedOf(page));
        }
        await this.quotas.forgetIfIdle(tenantId);
      }
      if (released) this.logger.warn({ released }, 'Tenant quota sweep released jobs that no event had released');
    } catch (error) {
      this.logger.warn({ err: error }, 'Tenant quota sweep failed; the next one tries again');
    }
    return released;
  }

  /** Held jobs that are completed, failed for good, or gone from Redis past the grace. */
  private async finishedOf(held: HeldJob[]): Promise<string[]> {
    const lostBefore = Date.now() - RESERVATION_GRACE_MS;
    const finished: string[] = [];
    for (const [name, jobs] of groupByQueue(held)) {
      const states = await this.statesIn(this.queues.get(name), jobs.map((job) => job.jobId));
      jobs.forEach((job, index) => {
        const state = states[index];
        if (state === 'finished' || (state === 'missing' && job.reservedAt < lostBefore)) finished.push(job.jobId);
      });
    }
    return finished;
  }

  private async releaseIfFinished(name: QueueName, jobIds: string[]): Promise<void> {
    try {
      const states = await this.statesIn(this.queues.get(name), jobIds);
      await this.quotas.release(jobIds.filter((_, index) => states[index] === 'finished'));
    } catch (error) {
      this.logger.warn({ err: error, queue: name }, 'Could not release a failed job from its tenant quota; the sweep will');
    }
  }

  /**
   * Releases in batches: the jobs that finish while a release is under way go together in the
   * next one (two Redis round trips per batch, not per job, under load).
   */
  private releaseQuietly(jobIds: string[]): void {
    for (const id of jobIds) this.pendingReleases.add(id);
    this.releasing ??= this.releasePending().finally(() => (this.releasing = undefined));
  }

  private async releasePending(): Promise<void> {
    while (this.pendingReleases.size) {
      const batch = [...this.pendingReleases];
      this.pendingReleases.clear();
      await this.quotas.release(batch).catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Could not release jobs from their tenant quota; the sweep will'));
    }
  }

  /** O(1) per job: the job hash exists, and it is in neither finished set. */
  private async statesIn(queue: JobQueue, jobIds: string[]): Promise<('held' | 'finished' | 'missing')[]> {
    if (!jobIds.length) return [];
    const pipeline = queue.client.pipeline();
    for (const id of jobIds) {
      pipeline.exists(queue.toKey(id));
      pipeline.zscore(queue.toKey('completed'), id);
      pipeline.zscore(queue.toKey('failed'), id);
    }
    const results = (await pipeline.exec()) ?? [];
    const failure = results.find(([error]) => error)?.[0];
    if (failure) throw failure;
    return jobIds.map((_, index) => {
      const [exists, completed, failed] = results.slice(index * 3, index * 3 + 3).map(([, value]) => value);
      if (completed !== null || failed !== null) return 'finished';
      return Number(exists) === 1 ? 'held' : 'missing';
    });
  }
}

function groupByQueue(held: HeldJob[]): Map<QueueName, HeldJob[]> {
  const groups = new Map<QueueName, HeldJob[]>();
  for (const job of held) groups.set(job.queue, [...(groups.get(job.queue) ?? []), job]);
  return groups;
}
