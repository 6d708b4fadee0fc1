import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { scheduleCron } from '../common/scheduling/schedule-cron';
import { AppConfig } from '../config/app-config';
import { IDEMPOTENCY_CLEANUP_CRON } from '../config/schedules.config';
import { TenantScope } from '../database/tenant-scope';
import { JOB_TYPES, JobType } from '../jobs/job-types';
import { canonicalJson } from './canonical-json';

export type Reservation =
  | { reserved: true }
  | { reserved: false; jobId: string; sameRequest: boolean };

/** The default schedule of the cleanup (IDEMPOTENCY_CLEANUP_CRON overrides it). */
export { IDEMPOTENCY_CLEANUP_CRON };
/** Arbitrary constant naming the advisory lock that lets one instance run the cleanup. */
const CLEANUP_LOCK = 7_341_001;

/**
 * Idempotency keys per tenant, backed by `idempotency_keys`: at the API a key maps to the
 * first job submitted with it; in the worker a completed key returns its stored result.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    scheduleCron(this.scheduler, 'idempotency-cleanup', this.config.schedules.idempotencyCleanup, () => this.cleanup(), this.logger);
  }

  /**
   * The client's key; else, for money jobs, a hash of tenant, type and canonical payload, so
   * the same charge submitted twice is one job. Other jobs without a client key have none:
   * two identical e-mails or analytics events may well be meant.
   */
  generateKey(tenantId: string, type: JobType, payload: object, clientKey?: string): string | null {
    if (clientKey) return clientKey;
    if (JOB_TYPES[type].queue !== 'money') return null;
    return `auto:${sha256(`${tenantId}\u0000${type}\u0000${canonicalJson(payload)}`)}`;
  }

  requestHash(type: JobType, payload: object): string {
    return sha256(`${type}\u0000${canonicalJson(payload)}`);
  }

  /**
   * Claims `key` for `jobId` inside the submitting transaction. An expired entry is taken
   * over; a live one answers with the job that holds it. Concurrent claims of one key
   * serialize on its primary key, so exactly one wins.
   */
  async reserve(manager: EntityManager, tenantId: string, key: string, jobId: string, requestHash: string): Promise<Reservation> {
    const claimed = await manager.query(
      `INSERT INTO idempotency_keys (tenant_id, key, job_id, request_hash, status, expires_at)
       VALUES ($1, $2, $3, $4, 'pending', now() + make_interval(secs => $5))
       ON CONFLICT (tenant_id, key) DO UPDATE
         SET job_id = EXCLUDED.job_id, request_hash = EXCLUDED.request_hash, status = 'pending',
             result = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at < now()
       RETURNING job_id`,
      [tenantId, key, jobId, requestHash, this.config.idempotencyTtlMs / 1000],
    );
    if (claimed.length) return { reserved: true };
    const [holder] = await manager.query(
      `SELECT job_id, request_hash FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`,
      [tenantId, key],
    );
    return { reserved: false, jobId: holder.job_id, sameRequest: holder.request_hash === requestHash };
  }

  /** Gives a key back when its submission could not be enqueued. */
  async release(manager: EntityManager, key: string, jobId: string): Promise<void> {
    await manager.query(`DELETE FROM idempotency_keys WHERE key = $1 AND job_id = $2`, [key, jobId]);
  }

  /** The stored result when work under this key has completed; undefined otherwise. */
  async check(tenantId: string, key: string): Promise<object | undefined> {
    const rows = await this.scope.run(tenantId, (manager) =>
      manager.query(`SELECT result FROM idempotency_keys WHERE key = $1 AND status = 'completed'`, [key]),
    );
    return rows.length ? (rows[0].result ?? {}) : undefined;
  }

  /** Marks the key completed with its result, in the caller's transaction. */
  async store(manager: EntityManager, key: string, result: object): Promise<void> {
    await manager.query(
      `UPDATE idempotency_keys SET status = 'completed', result = $2,
         expires_at = GREATEST(expires_at, now() + make_interval(secs => $3))
       WHERE key = $1`,
      [key, JSON.stringify(result), this.config.idempotencyTtlMs / 1000],
    );
  }

  /** store(), in a transaction of its own (for jobs without a record). */
  storeResult(tenantId: string, key: string, result: object): Promise<void> {
    return this.scope.run(tenantId, (manager) => this.store(manager, key, result));
  }

  /** Removes expired keys of every tenant; one instance at a time. */
  async cleanup(now: Date = new Date()): Promise<number> {
    const removed = await this.scope.system(async (manager) => {
      const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [CLEANUP_LOCK]);
      if (!locked) return 0;
      const [, count] = await manager.query(`DELETE FROM idempotency_keys WHERE expires_at < $1`, [now]);
      return count as number;
    });
    if (removed) this.logger.log(`Removed ${removed} expired idempotency keys`);
    return removed;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
