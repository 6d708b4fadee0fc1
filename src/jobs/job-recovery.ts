import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Job } from 'bull';
import { AppConfig } from '../config/app-config';
import { AdvisoryLocks } from '../database/advisory-lock';
import { QueueRegistry } from '../queue-store/queue-registry';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { JobRecords, PendingRecord } from '../persistence/job-records';
import { retryOptionsFor } from './job-options';

/** Bull's reason for a job it failed only because its workers kept dying under it. */
const STALLED_TOO_OFTEN = /stalled more than allowable limit/;
const BATCH = 500;

/**
 * PostgreSQL is the record, Redis only delivers. Every persisted job the record says is still
 * to run — queued, or active with its lease run out — that Redis no longer holds (restarted
 * without persistence, keys lost) or that Bull failed only for stalling, is added back under
 * its own id. Bull ignores an add for an id it still holds, and the job's fence, journal and
 * idempotency key make a re-run safe.
 */
@Injectable()
export class JobRecovery implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobRecovery.name);
  /** Set once a pass has finished (here, or in the process that held the lock): the startup probe reads it. */
  firstPassFinished = false;

  constructor(
    private readonly config: AppConfig,
    private readonly locks: AdvisoryLocks,
    private readonly records: JobRecords,
    private readonly queues: QueueRegistry,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runsWorkers) return;
    await this.recoverPendingJobs().catch((error) => this.logger.error({ err: error }, 'Start-up recovery failed'));
    const timer = setInterval(() => {
      void this.recoverPendingJobs().catch((error) => this.logger.error({ err: error }, 'Recovery failed'));
    }, this.config.recovery.intervalMs);
    this.scheduler.addInterval('job-recovery', timer);
  }

  /** Answers the ids it put back in their queues. */
  async recoverPendingJobs(): Promise<string[]> {
    const outcome = await this.locks.runExclusive('job-recovery', async (manager) => {
      const pending = await this.records.pendingForRecoveryIn(manager, this.config.recovery.graceMs, BATCH);
      const ids: string[] = [];
      for (const record of pending) {
        if (await this.putBack(record)) ids.push(record.id);
      }
      return ids;
    });
    const recovered = outcome.ran ? outcome.value : [];
    this.firstPassFinished = true;
    if (recovered.length) this.logger.warn({ jobs: recovered.length }, 'Recovered persisted jobs missing from Redis');
    return recovered;
  }

  private async putBack(record: PendingRecord): Promise<boolean> {
    const queue = this.queues.get(record.queue);
    const held: Job<JobEnvelope> | null = await queue.getJob(record.id);
    if (held) {
      const stalledOut = (await held.getState()) === 'failed' && STALLED_TOO_OFTEN.test(held.failedReason ?? '');
      if (!stalledOut) return false;
      await held.remove();
    }
    const envelope: JobEnvelope = {
      tenantId: record.tenant_id,
      type: record.type,
      payload: record.data,
      ...(record.idempotency_key ? { idempotencyKey: record.idempotency_key } : {}),
    };
    await queue.add(record.type, envelope, {
      jobId: record.id,
      priority: record.priority,
      delay: Number(record.delay_ms),
      ...retryOptionsFor(this.config, record.type, record.max_attempts),
    });
    return true;
  }
}
