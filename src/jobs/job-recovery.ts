import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Job } from 'bull';
import { AppConfig } from '../config/app-config';
import { TenantScope } from '../database/tenant-scope';
import type { QueueName } from '../job-definitions/queue-names';
import { QueueRegistry } from '../queue-store/queue-registry';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { retryOptionsFor } from './job-options';
import type { JobType } from '../job-definitions/job-types';

interface PendingRecord {
  id: string;
  tenant_id: string;
  queue: QueueName;
  type: JobType;
  data: Record<string, unknown>;
  priority: number;
  max_attempts: number;
  idempotency_key: string | null;
  delay_ms: number;
}

/** Bull's reason for a job it failed only because its workers kept dying under it. */
const STALLED_TOO_OFTEN = /stalled more than allowable limit/;
/** Arbitrary constant naming the advisory lock that lets one instance recover at a time. */
const RECOVERY_LOCK = 7_341_002;
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

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
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
    const recovered = await this.scope.system(async (manager) => {
      const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RECOVERY_LOCK]);
      if (!locked) return [];
      const pending: PendingRecord[] = await manager.query(
        `SELECT id, tenant_id, queue, type, data, priority, max_attempts, idempotency_key,
                GREATEST(0, EXTRACT(EPOCH FROM (run_at - now())) * 1000)::bigint AS delay_ms
         FROM jobs
         WHERE status IN ('waiting', 'delayed', 'active')
           AND (status <> 'active' OR lease_expires_at IS NULL OR lease_expires_at < now())
           AND updated_at < now() - make_interval(secs => $1)
         ORDER BY created_at
         LIMIT $2`,
        [this.config.recovery.graceMs / 1000, BATCH],
      );
      const ids: string[] = [];
      for (const record of pending) {
        if (await this.putBack(record)) ids.push(record.id);
      }
      return ids;
    });
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
