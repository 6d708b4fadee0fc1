import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { QueueRegistry } from '../queue-store/queue-registry';
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
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    for (const { name, queue } of this.queues.all()) {
      const concurrency = this.config.workerConcurrency[name];
      queue
        .process('*', concurrency, (job) => this.runner.run(job))
        .catch((error: unknown) => this.logger.error({ err: error, queue: name }, 'Worker stopped'));
      this.logger.log(`Worker attached to queue ${name} (concurrency ${concurrency})`);
    }
  }

  /**
   * On shutdown (SIGTERM), takes no new jobs and waits for the running ones to finish: Bull's
   * close() does both (and is what Bull's own shutdown hook calls later, then a no-op). This
   * runs before any onApplicationShutdown hook, so the Redis clients, the database pool and the
   * breakers a running job still needs are closed only after it has finished.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.config.runsWorkers) return;
    this.logger.log('Shutting down: waiting for running jobs to finish');
    await Promise.all(this.queues.all().map(({ queue }) => queue.close()));
  }
}
