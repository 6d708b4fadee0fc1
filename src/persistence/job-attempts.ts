import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import type { JobErrorDetails } from './job-record.entity';
import { TenantScope } from '../database/tenant-scope';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { StaleAttemptError } from '../job-definitions/job-errors';
import type { JobStatus } from '../job-definitions/job-status';

export type ClaimOutcome<Also = undefined> =
  /**
   * This attempt now holds the job; `data` is the payload on record, the one to act on, and
   * `also` what the claim's `alsoRead` read in the same transaction.
   */
  | { kind: 'claimed'; fence: number; data: Record<string, unknown>; also: Also }
  /** The record says the job is over (a re-delivery of finished work). */
  | { kind: 'finished'; status: JobStatus; result: object | null }
  /** Another worker's lease is still live. */
  | { kind: 'leased'; retryInMs: number }
  | { kind: 'missing' };

export interface AttemptRef {
  tenantId: string;
  jobId: string;
  fence: number;
}

/**
 * The worker's side of a persisted job's record. A claim raises the job's fence and takes a
 * lease; every later write names that fence and counts only while it is still the newest and
 * the job still active, so a worker that lost its claim (lock lost, event loop blocked) can
 * never overwrite a newer one, and nothing changes a job once its outcome has committed.
 */
@Injectable()
export class JobAttempts {
  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * `alsoRead` runs in the claim's transaction once the job is claimed (the effect journal: a
   * transaction, and its round trips, fewer per job).
   */
  claim<Also = undefined>(
    tenantId: string,
    jobId: string,
    owner: string,
    attempt: number,
    alsoRead?: (manager: EntityManager) => Promise<Also>,
  ): Promise<ClaimOutcome<Also>> {
    return this.scope.run(tenantId, async (manager): Promise<ClaimOutcome<Also>> => {
      const [claimed] = await manager.query(
        `UPDATE jobs SET fence = fence + 1, lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3),
           status = 'active', attempts = $4, started_at = now(), finished_at = NULL, updated_at = now()
         WHERE id = $1 AND status IN ('waiting', 'delayed', 'active')
           AND (lease_expires_at IS NULL OR lease_expires_at < now())
         RETURNING fence, data`,
        [jobId, owner, this.config.jobLeaseMs / 1000, attempt],
      );
      if (claimed.length) {
        const also = (alsoRead ? await alsoRead(manager) : undefined) as Also;
        return { kind: 'claimed', fence: Number(claimed[0].fence), data: claimed[0].data, also };
      }
      const [current] = await manager.query(
        `SELECT status, result, GREATEST(0, EXTRACT(EPOCH FROM (lease_expires_at - now())) * 1000)::int AS retry_in_ms
         FROM jobs WHERE id = $1`,
        [jobId],
      );
      if (!current) return { kind: 'missing' };
      if (['waiting', 'delayed', 'active'].includes(current.status)) {
        return { kind: 'leased', retryInMs: Math.max(100, current.retry_in_ms) };
      }
      return { kind: 'finished', status: current.status, result: current.result };
    });
  }

  /** Extends the lease; false once the fence has moved on. */
  renewLease(ref: AttemptRef): Promise<boolean> {
    return this.scope.run(ref.tenantId, async (manager) => {
      const [, count] = await manager.query(
        `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1 AND fence = $2 AND status = 'active'`,
        [ref.jobId, ref.fence, this.config.jobLeaseMs / 1000],
      );
      return count === 1;
    });
  }

  async progress(ref: AttemptRef, percent: number): Promise<void> {
    await this.fencedUpdate(ref, `progress = $3`, [percent]);
  }

  /**
   * Completion, the idempotency key's result and whatever `alsoIn` writes (follow-up jobs) in
   * one transaction: all of it commits, or none does.
   */
  complete(
    ref: AttemptRef,
    result: object,
    idempotencyKey?: string,
    alsoIn?: (manager: EntityManager) => Promise<unknown>,
  ): Promise<void> {
    return this.scope.run(ref.tenantId, async (manager) => {
      await this.fencedUpdateIn(
        manager,
        ref,
        `status = 'completed', result = $3, error = NULL, progress = 100, finished_at = now(),
         lease_owner = NULL, lease_expires_at = NULL`,
        [JSON.stringify(result)],
      );
      if (idempotencyKey) await this.idempotency.store(manager, idempotencyKey, result);
      if (alsoIn) await alsoIn(manager);
    });
  }

  /**
   * A cancellation found before the job was claimed: the record ends `cancelled` unless a live
   * attempt holds it (that attempt finds the flag itself). False when nothing was changed.
   */
  cancelUnclaimed(tenantId: string, jobId: string): Promise<boolean> {
    return this.scope.run(tenantId, async (manager) => {
      const [, count] = await manager.query(
        `UPDATE jobs SET status = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
         WHERE id = $1 AND status IN ('waiting', 'delayed', 'active')
           AND (lease_expires_at IS NULL OR lease_expires_at < now())`,
        [jobId],
      );
      return count === 1;
    });
  }

  /**
   * A failed attempt; `status` says whether Bull retries it (delayed/waiting) or it has ended.
   * Answers when the job first failed, for its dead-letter record.
   */
  async fail(
    ref: AttemptRef,
    status: Extract<JobStatus, 'waiting' | 'delayed' | 'failed' | 'cancelled'>,
    error: JobErrorDetails,
  ): Promise<Date> {
    const ended = status === 'failed' || status === 'cancelled';
    const [row] = await this.fencedUpdate(
      ref,
      `status = $3, error = $4, first_failed_at = COALESCE(first_failed_at, now()),
       finished_at = ${ended ? 'now()' : 'NULL'}, lease_owner = NULL, lease_expires_at = NULL`,
      [status, JSON.stringify(error)],
      'first_failed_at',
    );
    return row.first_failed_at as Date;
  }

  /** The attempt could not start (no token, breaker open): back to delayed, the attempt not counted. */
  async defer(ref: AttemptRef): Promise<void> {
    await this.fencedUpdate(
      ref,
      `status = 'delayed', attempts = GREATEST(attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL`,
      [],
    );
  }

  private fencedUpdate(ref: AttemptRef, assignments: string, values: unknown[], returning?: string): Promise<Record<string, unknown>[]> {
    return this.scope.run(ref.tenantId, (manager) => this.fencedUpdateIn(manager, ref, assignments, values, returning));
  }

  private async fencedUpdateIn(
    manager: EntityManager,
    ref: AttemptRef,
    assignments: string,
    values: unknown[],
    returning?: string,
  ): Promise<Record<string, unknown>[]> {
    const [rows, count] = await manager.query(
      `UPDATE jobs SET ${assignments}, updated_at = now()
       WHERE id = $1 AND fence = $2 AND status = 'active' ${returning ? `RETURNING ${returning}` : ''}`,
      [ref.jobId, ref.fence, ...values],
    );
    if (count !== 1) throw new StaleAttemptError(ref.jobId);
    return rows;
  }
}
