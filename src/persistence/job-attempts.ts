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
  /** Claims waiting for their group's statement, by tenant and owner. */
  private readonly claimGroups = new Map<string, ClaimGroup<unknown>>();

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Takes the job for this attempt. Claims are grouped (group commit): the claims of one tenant
   * and owner that arrive while that group's previous claim statement runs go together in the
   * next, one multi-row UPDATE and one transaction for all of them. `alsoRead` runs in that
   * transaction for the jobs it claimed (the effect journal), answering per job id.
   */
  claim<Also = undefined>(
    tenantId: string,
    jobId: string,
    owner: string,
    attempt: number,
    alsoRead?: (manager: EntityManager, claimedIds: string[]) => Promise<Map<string, Also>>,
  ): Promise<ClaimOutcome<Also>> {
    return new Promise<ClaimOutcome<Also>>((resolve, reject) => {
      const groupKey = `${tenantId}\u0000${owner}`;
      let group = this.claimGroups.get(groupKey) as ClaimGroup<Also> | undefined;
      if (!group) {
        group = { tenantId, owner, alsoRead, pending: [], running: false };
        this.claimGroups.set(groupKey, group as ClaimGroup<unknown>);
      }
      group.pending.push({ jobId, attempt, resolve, reject });
      if (!group.running) {
        group.running = true;
        setImmediate(() => void this.runClaimGroup(groupKey, group!));
      }
    });
  }

  private async runClaimGroup<Also>(groupKey: string, group: ClaimGroup<Also>): Promise<void> {
    while (group.pending.length) {
      const batch = takeDistinctJobs(group.pending, MAX_CLAIMS_PER_STATEMENT);
      try {
        const outcomes = await this.claimAll(group.tenantId, group.owner, batch, group.alsoRead);
        batch.forEach((claim, index) => claim.resolve(outcomes[index]));
      } catch (error) {
        for (const claim of batch) claim.reject(error);
      }
    }
    group.running = false;
    this.claimGroups.delete(groupKey);
  }

  /** One transaction: the fenced claim of every job in `batch` (distinct ids), then what it could not claim. */
  private claimAll<Also>(
    tenantId: string,
    owner: string,
    batch: PendingClaim<Also>[],
    alsoRead?: (manager: EntityManager, claimedIds: string[]) => Promise<Map<string, Also>>,
  ): Promise<ClaimOutcome<Also>[]> {
    return this.scope.run(tenantId, async (manager): Promise<ClaimOutcome<Also>[]> => {
      // TypeORM answers an UPDATE with [rows, count].
      const [claimedRows]: [Array<{ id: string; fence: string; data: Record<string, unknown> }>, number] = await manager.query(
        `UPDATE jobs SET fence = jobs.fence + 1, lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3),
           status = 'active', attempts = claim.attempt, started_at = now(), finished_at = NULL, updated_at = now()
         FROM unnest($1::uuid[], $4::int[]) AS claim(id, attempt)
         WHERE jobs.id = claim.id AND jobs.status IN ('waiting', 'delayed', 'active')
           AND (jobs.lease_expires_at IS NULL OR jobs.lease_expires_at < now())
         RETURNING jobs.id, jobs.fence, jobs.data`,
        [batch.map((claim) => claim.jobId), owner, this.config.jobLeaseMs / 1000, batch.map((claim) => claim.attempt)],
      );
      const claimed = new Map(claimedRows.map((row) => [row.id, row]));
      const also = alsoRead && claimed.size ? await alsoRead(manager, [...claimed.keys()]) : new Map<string, Also>();
      const others = batch.filter((claim) => !claimed.has(claim.jobId)).map((claim) => claim.jobId);
      const currentRows: Array<{ id: string; status: JobStatus; result: object | null; retry_in_ms: number }> = others.length
        ? await manager.query(
            `SELECT id, status, result, GREATEST(0, EXTRACT(EPOCH FROM (lease_expires_at - now())) * 1000)::int AS retry_in_ms
             FROM jobs WHERE id = ANY($1::uuid[])`,
            [others],
          )
        : [];
      const current = new Map(currentRows.map((row) => [row.id, row]));
      return batch.map(({ jobId }): ClaimOutcome<Also> => {
        const row = claimed.get(jobId);
        if (row) return { kind: 'claimed', fence: Number(row.fence), data: row.data, also: also.get(jobId) as Also };
        const now = current.get(jobId);
        if (!now) return { kind: 'missing' };
        if (['waiting', 'delayed', 'active'].includes(now.status)) return { kind: 'leased', retryInMs: Math.max(100, now.retry_in_ms) };
        return { kind: 'finished', status: now.status, result: now.result };
      });
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

/** Enough to group a busy worker's claims; a bound on the statement's size. */
const MAX_CLAIMS_PER_STATEMENT = 100;

interface PendingClaim<Also> {
  jobId: string;
  attempt: number;
  resolve: (outcome: ClaimOutcome<Also>) => void;
  reject: (error: unknown) => void;
}

interface ClaimGroup<Also> {
  tenantId: string;
  owner: string;
  alsoRead?: (manager: EntityManager, claimedIds: string[]) => Promise<Map<string, Also>>;
  pending: PendingClaim<Also>[];
  running: boolean;
}

/**
 * Takes up to `max` claims of distinct jobs out of `pending`, in order. A second claim of a job
 * already in the batch waits for the next statement: in one UPDATE both would read the same
 * row back, and two attempts would think they hold one fence.
 */
function takeDistinctJobs<Also>(pending: PendingClaim<Also>[], max: number): PendingClaim<Also>[] {
  const batch: PendingClaim<Also>[] = [];
  const ids = new Set<string>();
  for (let index = 0; index < pending.length && batch.length < max; ) {
    if (ids.has(pending[index].jobId)) {
      index++;
      continue;
    }
    ids.add(pending[index].jobId);
    batch.push(...pending.splice(index, 1));
  }
  return batch;
}
