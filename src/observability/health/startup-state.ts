import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { JobRecovery } from '../../jobs/job-recovery';
import { QueueRegistry } from '../../queue-store/queue-registry';
import { withTimeout } from './with-timeout';

export type StartupStep = 'done' | 'pending' | 'not-applicable';

export interface StartupReport {
  migrations: StartupStep;
  queues: StartupStep;
  recovery: StartupStep;
}

/** What must have happened once before the process counts as started; each step, once done, stays done. */
@Injectable()
export class StartupState {
  private migrationsDone = false;
  private queuesDone = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly recovery: JobRecovery,
  ) {}

  async report(): Promise<StartupReport> {
    const timeoutMs = this.config.observability.healthCheckTimeoutMs;
    const [migrations, queues] = await Promise.all([
      this.migrationsDone || withTimeout(async () => !(await this.dataSource.showMigrations()), timeoutMs).catch(() => false),
      this.queuesDone ||
        withTimeout(async () => (await Promise.all(this.queues.all().map(({ queue }) => queue.isReady()))).length > 0, timeoutMs).catch(
          () => false,
        ),
    ]);
    this.migrationsDone = migrations;
    this.queuesDone = queues;
    const recovery: StartupStep = !this.config.runsWorkers ? 'not-applicable' : this.recovery.firstPassFinished ? 'done' : 'pending';
    return { migrations: migrations ? 'done' : 'pending', queues: queues ? 'done' : 'pending', recovery };
  }
}
