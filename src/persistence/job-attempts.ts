import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import type { JobErrorDetails } from './job-record.entity';
import { TenantScope } from '../database/tenant-scope';
import { IdempotencyService } from '../idempotency/idempotency.service';
import type { StatementPart } from '../idempotency/idempotency-keys';
import { StaleAttemptError } from '../job-definitions/job-errors';
import { GroupCommit, GroupOutcome } from '../database/group-commit';
import type { JobStatus } from '../job-definitions/job-status';

export type ClaimOutcome<Also = undefined> =
  /**
   * This attempt now holds the job; `data` is the payload on record, the one to act on, and
   * `also` what the claim's `readEarlierAttempts` read in the same transaction (undefined for
   * a first claim).
   */
  | { kind: 'claimed'; fence: number; data: Record<string, unknown>; also: Also | undefined }
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
  /**
   * In one statement per group, a job at most once in each (in one UPDATE two claims of a job
   * would both read the row back, and two attempts would think they hold one fence).
   */
  private readonly claims = new GroupCommit<ClaimContext<unknown>, ClaimItem, ClaimOutcome<unknown>>(
    (context, batch) => this.claimAll(context, batch),
    { maxPerStatement: MAX_PER_STATEMENT, distinctBy: (claim) => claim.jobId },
  );

  private readonly completions = new GroupCommit<string, CompletionItem, void>(
    (tenantId, batch) => this.completeAll(tenantId, batch),
    { maxPerStatement: MAX_PER_STATEMENT, distinctBy: (completion) => completion.ref.jobId },
  );

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Takes the job for this attempt. Claims are grouped (`GroupCommit`): a tenant's and owner's
   * claims that arrive while that group's previous claim statement runs go together in the
   * next, one multi-row UPDATE and one transaction for all of them. `readEarlierAttempts`
   * runs in that transaction for the claimed jobs an earlier attempt had claimed (what those
   * attempts left: the effect journal), answering per job id. A first claim (fence 0 → 1) skips
   * it: the fence only ever rises, and an attempt writes only under the fence its claim raised,
   * so nothing can have been left under a fence this job never had.
   */
  claim<Also = undefined>(
    tenantId: string,
    jobId: string,
    owner: string,
    attempt: number,
    readEarlierAttempts?: (manager: EntityManager, claimedIds: string[]) => Promise<Map<string, Also>>,
  ): Promise<ClaimOutcome<Also>> {
    const context: ClaimContext<unknown> = { tenantId, owner, readEarlierAttempts };
    return this.claims.submit(`${tenantId}\u0000${owner}`, context, { jobId, attempt }) as Promise<ClaimOutcome<Also>>;
  }

  /**
   * The fenced claim of every job of the group (distinct ids) in one statement and one round
   * trip; then, only if needed, a read of what it did not settle. That read may follow the
   * claim's commit: an earlier attempt can no longer add to its journal once the fence has moved
   * past it (its writes are fenced), and a job the claim did not take is only reported on.
   */
  private async claimAll(context: ClaimContext<unknown>, batch: ClaimItem[]): Promise<GroupOutcome<ClaimOutcome<unknown>>[]> {
    const { rows: claimedRows } = await this.scope.statement<{ id: string; fence: string; data: Record<string, unknown> }>(
      context.tenantId,
      `UPDATE jobs SET fence = jobs.fence + 1, lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3),
         status = 'active', attempts = claim.attempt, started_at = now(), finished_at = NULL, updated_at = now()
       FROM unnest($1::uuid[], $4::int[]) AS claim(id, attempt)
       WHERE jobs.id = claim.id AND jobs.status IN ('waiting', 'delayed', 'active')
         AND (jobs.lease_expires_at IS NULL OR jobs.lease_expires_at < now())
       RETURNING jobs.id, jobs.fence, jobs.data`,
      [batch.map((claim) => claim.jobId), context.owner, this.config.jobLeaseMs / 1000, batch.map((claim) => claim.attempt)],
    );
    const claimed = new Map(claimedRows.map((row) => [row.id, row]));
    const claimedBefore = context.readEarlierAttempts ? claimedRows.filter((row) => Number(row.fence) > 1).map((row) => row.id) : [];
    const others = batch.filter((claim) => !claimed.has(claim.jobId)).map((claim) => claim.jobId);
    const { also, currentRows } = claimedBefore.length || others.length
      ? await this.scope.run(context.tenantId, async (manager) => ({
          also: claimedBefore.length ? await context.readEarlierAttempts!(manager, claimedBefore) : new Map<string, unknown>(),
          currentRows: (others.length
            ? await manager.query(
                `SELECT id, status, result, GREATEST(0, EXTRACT(EPOCH FROM (lease_expires_at - now())) * 1000)::int AS retry_in_ms
                 FROM jobs WHERE id = ANY($1::uuid[])`,
                [others],
              )
            : []) as Array<{ id: string; status: JobStatus; result: object | null; retry_in_ms: number }>,
        }))
      : { also: new Map<string, unknown>(), currentRows: [] };
    const current = new Map(currentRows.map((row) => [row.id, row]));
    return batch.map(({ jobId }): GroupOutcome<ClaimOutcome<unknown>> => {
      const row = claimed.get(jobId);
      if (row) return { ok: { kind: 'claimed', fence: Number(row.fence), data: row.data, also: also.get(jobId) } };
      const now = current.get(jobId);
      if (!now) return { ok: { kind: 'missing' } };
      if (['waiting', 'delayed', 'active'].includes(now.status)) return { ok: { kind: 'leased', retryInMs: Math.max(100, now.retry_in_ms) } };
      return { ok: { kind: 'finished', status: now.status, result: now.result } };
    });
  }

  /** Extends the lease; false once the fence has moved on. */
  async renewLease(ref: AttemptRef): Promise<boolean> {
    const { rowCount } = await this.scope.statement(
      ref.tenantId,
      `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1 AND fence = $2 AND status = 'active'`,
      [ref.jobId, ref.fence, this.config.jobLeaseMs / 1000],
    );
    return rowCount === 1;
  }

  async progress(ref: AttemptRef, percent: number): Promise<void> {
    await this.fencedUpdate(ref, `progress = $3`, [percent]);
  }

  /**
   * Completion, the idempotency key's result and what `also` writes (follow-up jobs) in one
   * transaction: all of it commits, or none does. Completions are grouped like claims: one
   * multi-row UPDATE of the records, one of the keys, and each writer of `also` called once with
   * the items of every completion of the group that still held its fence. A group whose
   * transaction fails is written completion by completion, so only the one at fault is refused
   * and another job's follow-ups can never undo a completion.
   */
  complete<Item>(ref: AttemptRef, result: object, idempotencyKey?: string, also?: WrittenWithCompletion<Item>): Promise<void> {
    return this.completions.submit(ref.tenantId, ref.tenantId, { ref, result, idempotencyKey, also: also as WrittenWithCompletion<unknown> | undefined });
  }

  private async completeAll(tenantId: string, batch: CompletionItem[]): Promise<GroupOutcome<void>[]> {
    try {
      return await this.completeTogether(tenantId, batch);
    } catch (error) {
      if (batch.length === 1) return [{ error }];
      const outcomes: GroupOutcome<void>[] = [];
      for (const item of batch) {
        outcomes.push(await this.completeTogether(tenantId, [item]).then(([outcome]) => outcome, (alone: unknown) => ({ error: alone })));
      }
      return outcomes;
    }
  }

  /**
   * The group's completions that still hold their fence, with their keys, in one statement; then
   * what they write with them. Without such writes the statement is the whole transaction, sent
   * with its opening and COMMIT in one round trip. The others are stale.
   */
  private async completeTogether(tenantId: string, batch: CompletionItem[]): Promise<GroupOutcome<void>[]> {
    const statement = this.completionStatement(batch);
    const completedIds = batch.some((item) => item.also)
      ? await this.scope.run(tenantId, async (manager) => {
          const completed = new Set(((await manager.query(statement.sql, statement.parameters)) as Array<{ id: string }>).map((row) => row.id));
          const done = batch.filter((item) => completed.has(item.ref.jobId));
          for (const [writeAll, items] of itemsByWriter(done)) await writeAll(manager, tenantId, items);
          return completed;
        })
      : new Set((await this.scope.statement<{ id: string }>(tenantId, statement.sql, statement.parameters)).rows.map((row) => row.id));
    return batch.map((item): GroupOutcome<void> =>
      completedIds.has(item.ref.jobId) ? { ok: undefined } : { error: new StaleAttemptError(item.ref.jobId) });
  }

  /** The fenced completion of the group's records and, for those it completes, of their idempotency keys. */
  private completionStatement(batch: CompletionItem[]): { sql: string; parameters: unknown[] } {
    const parameters: unknown[] = [batch.map((item) => item.ref.jobId), batch.map((item) => item.ref.fence), batch.map((item) => JSON.stringify(item.result))];
    const keyed = batch.flatMap((item) => (item.idempotencyKey ? [{ jobId: item.ref.jobId, key: item.idempotencyKey }] : []));
    const keys: StatementPart | undefined = keyed.length ? this.idempotency.completionPart('completed', parameters.length + 1, keyed) : undefined;
    const sql = `WITH completed AS (
        UPDATE jobs SET status = 'completed', result = done.result, error = NULL, progress = 100, finished_at = now(),
          lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[]) AS done(id, fence, result)
        WHERE jobs.id = done.id AND jobs.fence = done.fence AND jobs.status = 'active'
        RETURNING jobs.id, done.result)${keys ? `, ${keys.cte}` : ''}
      SELECT id FROM completed`;
    return { sql, parameters: keys ? [...parameters, ...keys.parameters] : parameters };
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

  private async fencedUpdate(ref: AttemptRef, assignments: string, values: unknown[], returning?: string): Promise<Record<string, unknown>[]> {
    const { rows, rowCount } = await this.scope.statement(ref.tenantId, fencedUpdateSql(assignments, returning), [ref.jobId, ref.fence, ...values]);
    if (rowCount !== 1) throw new StaleAttemptError(ref.jobId);
    return rows;
  }
}

/** Enough to group a busy worker's calls; a bound on a statement's size. */
const MAX_PER_STATEMENT = 100;

interface ClaimContext<Also> {
  tenantId: string;
  owner: string;
  readEarlierAttempts?: (manager: EntityManager, claimedIds: string[]) => Promise<Map<string, Also>>;
}

interface ClaimItem {
  jobId: string;
  attempt: number;
}

/**
 * What commits with a completion besides the record and its key (a job's follow-ups):
 * `writeAll` is called once per group with the items of all its completions that held their fence.
 */
export interface WrittenWithCompletion<Item> {
  items: Item[];
  writeAll: (manager: EntityManager, tenantId: string, items: Item[]) => Promise<unknown>;
}

interface CompletionItem {
  ref: AttemptRef;
  result: object;
  idempotencyKey?: string;
  also?: WrittenWithCompletion<unknown>;
}

function itemsByWriter(completions: CompletionItem[]): Map<WrittenWithCompletion<unknown>['writeAll'], unknown[]> {
  const byWriter = new Map<WrittenWithCompletion<unknown>['writeAll'], unknown[]>();
  for (const { also } of completions) {
    if (also?.items.length) byWriter.set(also.writeAll, [...(byWriter.get(also.writeAll) ?? []), ...also.items]);
  }
  return byWriter;
}

/** An update of the record that counts only while `$1`'s fence is still `$2` and the job active. */
function fencedUpdateSql(assignments: string, returning?: string): string {
  return `UPDATE jobs SET ${assignments}, updated_at = now()
   WHERE id = $1 AND fence = $2 AND status = 'active' ${returning ? `RETURNING ${returning}` : ''}`;
}
