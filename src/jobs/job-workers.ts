import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import type { QueueName } from '../job-definitions/queue-names';
import { QueueRegistry } from '../queue-store/queue-registry';
import { TenantJobIndex } from '../queue-store/tenant-job-index';
import { JobRunner } from './job-runner';

/**
 * Attaches the JobRunner to every queue in processes that run workers (APP_ROLE all|worker).
 * One catch-all processor per queue: Bull adds up the concurrency of named processors.
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobWorkers.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly runner: JobRunner,
    private readonly tenantJobs: TenantJobIndex,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    for (const { name, queue } of this.queues.all()) {
      const concurrency = this.config.workerConcurrency[name];
      queue
        .process('*', concurrency, async (job) => {
          if (job.opts.repeat) await this.indexTick(name, job);
          return this.runner.run(job);
        })
        .catch((error: unknown) => this.logger.error({ err: error, queue: name }, 'Worker stopped'));
      this.logger.log(`Worker attached to queue ${name} (concurrency ${concurrency})`);
    }
  }

  /**
   * Bull itself adds each tick of a repeatable job, so a Redis-only tick enters its tenant's
   * listing index when it starts. Listing is not worth failing the tick for.
   */
  private async indexTick(name: QueueName, job: Job<JobEnvelope>): Promise<void> {
    await this.tenantJobs.add(name, [job]).catch((error: unknown) =>
      this.logger.warn({ err: error, queue: name, jobId: job.id }, 'Could not index a repeatable tick for listings'));
  }

  /**
   * On shutdown (SIGTERM), takes no new jobs and waits for the running ones to finish, before any
   * onApplicationShutdown hook: the Redis clients, the database pool and the breakers a running
   * job still needs are closed only after it has finished.
   *
   * Not Bull's plain close(): it waits through whenCurrentJobsFinished, which forces the blocking
   * client to reconnect and, if that client is mid-reconnect (Redis gone), leaves the rejected
   * reconnect unhandled while jobs are still running; the process sees an unhandled rejection.
   * The same three steps, each with its failure handled: pause locally (no fetch, the blocking
   * fetch aborted), wait for what Bull is processing, then close without waiting again.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.config.runsWorkers) return;
    this.logger.log('Shutting down: waiting for running jobs to finish');
    const queues = this.queues.all().map(({ queue }) => queue);
    await Promise.all(queues.map((queue) => queue.pause(true, true).catch(() => undefined)));
    await Promise.all(queues.map((queue) => Promise.allSettled(Object.values(processingOf(queue)))));
    await Promise.all(queues.map((queue) => queue.close(true)));
  }
}

/**
 * Bull 4's record of each concurrency slot's current fetch-run-move chain: what its own
 * whenCurrentJobsFinished awaits. Each chain settles once its job is moved to completed or
 * failed (or the move failed and was reported as an 'error').
 */
function processingOf(queue: Queue): Record<string, Promise<unknown>> {
  return (queue as unknown as { processing: Record<string, Promise<unknown>> }).processing;
}
