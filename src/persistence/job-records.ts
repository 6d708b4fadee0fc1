import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { JobRecord } from './job-record.entity';
import { TenantScope } from '../database/tenant-scope';
import type { StatementPart } from '../idempotency/idempotency-keys';
import type { JobStatus } from '../job-definitions/job-status';
import { JOB_TYPES, JobType } from '../job-definitions/job-types';
import { QUEUE_NAMES, QueueName } from '../job-definitions/queue-names';

export type NewJobRecord = Pick<
  JobRecord,
  | 'id' | 'queue' | 'type' | 'status' | 'priority' | 'data' | 'maxAttempts' | 'idempotencyKey' | 'createdBy' | 'runAt'
  | 'origin' | 'parentJobId'
>;

// TypeORM's deep-partial type does not accept `unknown` jsonb values; the columns are typed on JobRecord.
type JobRecordChanges = QueryDeepPartialEntity<JobRecord>;

export interface JobListQuery {
  queue: QueueName;
  status?: JobStatus;
  /** Only the jobs this submitter (`created_by`) submitted. */
  createdBy?: string;
  limit: number;
  offset: number;
}

/** A persisted job that recovery may have to put back in its queue (columns as stored). */
export interface PendingRecord {
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

/**
 * The API's side of the `jobs` table (the durable record of persisted jobs): submission,
 * look-up, listing, cancellation and requeue, plus the recovery scan and cleanup. Workers write through JobAttempts, with fences.
 */
@Injectable()
export class JobRecords {
  constructor(private readonly scope: TenantScope) {}

  /** insertIn in a tenant transaction of its own: one round trip with its COMMIT. */
  async insert(tenantId: string, records: NewJobRecord[]): Promise<void> {
    if (!records.length) return;
    const insert = insertStatement(records, 1);
    await this.scope.statement(tenantId, insert.sql, [tenantId, ...insert.parameters]);
  }

  /**
   * Inserts inside the caller's tenant transaction (a batch writes keys and records together):
   * one statement with one array per column, however many records (a 1000-job batch through
   * TypeORM's insert was 20,000 parameters, built and bound row by row).
   */
  async insertIn(manager: EntityManager, tenantId: string, records: NewJobRecord[]): Promise<void> {
    if (!records.length) return;
    const insert = insertStatement(records, 1);
    await manager.query(insert.sql, [tenantId, ...insert.parameters]);
  }

  /**
   * The insert as a data-modifying CTE `inserted_jobs` of another repository's statement (the
   * idempotency claim's, IdempotencyKeys.claimAtOnce): a record with a key goes in only if its
   * id is among `claimedJobIds` (a subquery of that statement), so a job whose key another job
   * holds leaves no record. The tenant comes from the statement's `$1`; the records' parameters
   * follow from `$firstParameter`.
   */
  insertPart(records: NewJobRecord[], firstParameter: number, claimedJobIds: string): StatementPart {
    const insert = insertStatement(records, firstParameter - 1, `WHERE r.idempotency_key IS NULL OR r.id IN (${claimedJobIds})`);
    return { cte: `inserted_jobs AS (${insert.sql})`, parameters: insert.parameters };
  }

  /** Undoes an insert whose jobs never reached Redis, inside the caller's transaction. */
  async deleteIn(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length) await manager.delete(JobRecord, { id: In(ids) });
  }

  find(tenantId: string, id: string): Promise<JobRecord | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(JobRecord, { id }));
  }

  /** The follow-ups a job enqueued (a webhook event's deliveries). */
  findChildren(tenantId: string, parentJobId: string): Promise<JobRecord[]> {
    return this.scope.run(tenantId, (manager) => manager.findBy(JobRecord, { parentJobId }));
  }

  /**
   * The payment job that recorded a Stripe payment intent, whatever its tenant: how a Stripe
   * event whose object carries no metadata of ours (a dispute) finds its tenant.
   */
  async findPaymentByIntentAcrossTenants(paymentIntentId: string): Promise<{ id: string; tenantId: string } | null> {
    const rows: { id: string; tenantId: string }[] = await this.scope.system((manager) =>
      manager.query(
        `SELECT id, tenant_id AS "tenantId" FROM jobs
         WHERE type = 'payment-process' AND result->>'paymentIntentId' = $1
         ORDER BY created_at LIMIT 1`,
        [paymentIntentId],
      ),
    );
    return rows[0] ?? null;
  }

  /** A tenant's latest payment job for an order, when a Stripe event names the order but not the job. */
  findLatestPaymentForOrder(tenantId: string, orderId: string): Promise<JobRecord | null> {
    return this.scope.run(tenantId, (manager) =>
      manager.getRepository(JobRecord).createQueryBuilder('job')
        // The queue enters the tenant's listing index (queue, tenant, …): no index has orders.
        .where(`job.queue = :queue AND job.type = 'payment-process' AND job.data->>'orderId' = :orderId`, { queue: JOB_TYPES['payment-process'].queue, orderId })
        .orderBy('job.created_at', 'DESC')
        .getOne(),
    );
  }

  /** The tenant's completed payment job whose result is this payment intent: what a refund may name. */
  findCompletedPaymentOfIntent(tenantId: string, paymentIntentId: string): Promise<JobRecord | null> {
    return this.scope.run(tenantId, (manager) =>
      manager.getRepository(JobRecord).createQueryBuilder('job')
        .where(`job.type = 'payment-process' AND job.status = 'completed' AND job.result->>'paymentIntentId' = :paymentIntentId`, { paymentIntentId })
        .orderBy('job.created_at', 'ASC')
        .getOne(),
    );
  }

  /** A tenant's refund jobs of one payment intent, oldest first. */
  findRefundsOfIntent(tenantId: string, paymentIntentId: string): Promise<JobRecord[]> {
    return this.scope.run(tenantId, (manager) =>
      manager.getRepository(JobRecord).createQueryBuilder('job')
        .where(`job.type = 'refund-process' AND job.data->>'paymentIntentId' = :paymentIntentId`, { paymentIntentId })
        .orderBy('job.created_at', 'ASC')
        .getMany(),
    );
  }

  markCancelled(tenantId: string, id: string): Promise<void> {
    return this.update(tenantId, id, { status: 'cancelled', finishedAt: new Date() });
  }

  markCancelRequested(tenantId: string, id: string): Promise<void> {
    return this.update(tenantId, id, { cancelRequestedAt: new Date() });
  }

  /** Puts a failed job back in line for a fresh run. */
  /**
   * Claims a finished record for a requeue (status-guarded, under a row lock): of concurrent
   * claims only the first finds it in one of `from` and sets it `waiting`; the others get null.
   * Returns the status the record had, for `releaseRequeueClaim` if the requeue cannot go on.
   */
  claimForRequeue(tenantId: string, id: string, from: readonly JobStatus[]): Promise<JobStatus | null> {
    return this.scope.run(tenantId, async (manager) => {
      const record = await manager.findOne(JobRecord, { where: { id }, select: { id: true, status: true }, lock: { mode: 'pessimistic_write' } });
      if (!record || !from.includes(record.status)) return null;
      await manager.update(JobRecord, { id }, { status: 'waiting' });
      return record.status;
    });
  }

  /** Gives a claimed record its status back (its job could not be put back in its queue). */
  releaseRequeueClaim(tenantId: string, id: string, status: JobStatus): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      await manager.update(JobRecord, { id, status: 'waiting' }, { status });
    });
  }

  /** Writes a requeued job's record anew; false when another request wrote it first. */
  async insertForRequeue(tenantId: string, record: NewJobRecord): Promise<boolean> {
    return this.scope.run(tenantId, async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(JobRecord)
        .values({ ...record, tenantId, attempts: 0, progress: 0 } as JobRecordChanges)
        .orIgnore()
        .returning(['id'])
        .execute();
      return result.raw.length === 1;
    });
  }

  /** Removes a record written by insertForRequeue whose job could not be put back. */
  deleteRequeued(tenantId: string, id: string): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      await manager.delete(JobRecord, { id, status: 'waiting' });
    });
  }

  markRequeued(tenantId: string, id: string): Promise<void> {
    return this.update(tenantId, id, {
      status: 'waiting',
      attempts: 0,
      progress: 0,
      error: null,
      result: null,
      startedAt: null,
      finishedAt: null,
      firstFailedAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
  }

  /** For an admin clearing a queue: the records of the removed jobs, whatever their tenant. */
  markCancelledAcrossTenants(ids: string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.scope.system(async (manager) => {
      await manager.update(
        JobRecord,
        { id: In(ids), status: In(['waiting', 'delayed']) },
        { status: 'cancelled', finishedAt: new Date() },
      );
    });
  }

  /** A page of one queue's records: one tenant's, or every tenant's when tenantId is null. */
  list(tenantId: string | null, query: JobListQuery): Promise<{ items: JobRecord[]; total: number }> {
    const work = async (manager: EntityManager) => {
      const [items, total] = await manager.findAndCount(JobRecord, {
        where: {
          queue: query.queue,
          ...(query.status ? { status: query.status } : {}),
          ...(query.createdBy !== undefined ? { createdBy: query.createdBy } : {}),
        },
        order: { createdAt: 'DESC' },
        take: query.limit,
        skip: query.offset,
      });
      return { items, total };
    };
    return tenantId ? this.scope.run(tenantId, work) : this.scope.system(work);
  }

  /**
   * Records still to run (queued, or active with a lapsed lease) untouched for `graceMs`, oldest
   * first, in the caller's cross-tenant transaction. Its `updated_at` condition is what lets it
   * use `jobs_recovery_idx` (migration 009 says why no claim can).
   */
  pendingForRecoveryIn(manager: EntityManager, graceMs: number, limit: number): Promise<PendingRecord[]> {
    return manager.query(
      `SELECT id, tenant_id, queue, type, data, priority, max_attempts, idempotency_key,
              GREATEST(0, EXTRACT(EPOCH FROM (run_at - now())) * 1000)::bigint AS delay_ms
       FROM jobs
       WHERE status IN ('waiting', 'delayed', 'active')
         AND (status <> 'active' OR lease_expires_at IS NULL OR lease_expires_at < now())
         AND updated_at < now() - make_interval(secs => $1)
       ORDER BY created_at
       LIMIT $2`,
      [graceMs / 1000, limit],
    );
  }

  /**
   * Deletes the finished records older than `cutoff` that the caller's transaction sees (RLS
   * applies). Every queue is named so the tenant's listing index (queue, tenant, status) serves.
   */
  async deleteFinishedBeforeIn(manager: EntityManager, cutoff: Date): Promise<number> {
    const [, count] = (await manager.query(
      `DELETE FROM jobs WHERE queue = ANY($2::text[]) AND status IN ('completed','failed','cancelled') AND finished_at < $1`,
      [cutoff, QUEUE_NAMES],
    )) as [unknown, number];
    return count;
  }

  private update(tenantId: string, id: string, changes: JobRecordChanges): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      await manager.update(JobRecord, { id }, changes);
    });
  }
}

/**
 * The multi-row insert: the tenant is `$1`, each column an array parameter after `$offset`
 * (`$offset + 1` onwards), in the order of `parameters`.
 */
function insertStatement(records: NewJobRecord[], offset: number, where = ''): { sql: string; parameters: unknown[] } {
  const column = <T>(pick: (record: NewJobRecord) => T) => records.map(pick);
  const [ids, queues, types, statuses, priorities, data, maxAttempts, keys, createdBy, origins, parents, runAt] =
    Array.from({ length: 12 }, (_, index) => `$${offset + 1 + index}`);
  return {
    sql: `INSERT INTO jobs (id, tenant_id, queue, type, status, priority, data, attempts, max_attempts, progress,
                       idempotency_key, created_by, origin, parent_job_id, run_at)
     SELECT r.id, $1, r.queue, r.type, r.status, r.priority, r.data, 0, r.max_attempts, 0,
            r.idempotency_key, r.created_by, r.origin, r.parent_job_id, r.run_at
     FROM unnest(${ids}::uuid[], ${queues}::text[], ${types}::text[], ${statuses}::text[], ${priorities}::smallint[], ${data}::jsonb[],
                 ${maxAttempts}::integer[], ${keys}::text[], ${createdBy}::text[], ${origins}::text[], ${parents}::uuid[], ${runAt}::timestamptz[])
       AS r(id, queue, type, status, priority, data, max_attempts, idempotency_key, created_by, origin, parent_job_id, run_at)
     ${where}`,
    parameters: [
      column((record) => record.id),
      column((record) => record.queue),
      column((record) => record.type),
      column((record) => record.status),
      column((record) => record.priority),
      column((record) => JSON.stringify(record.data)),
      column((record) => record.maxAttempts),
      column((record) => record.idempotencyKey),
      column((record) => record.createdBy),
      column((record) => record.origin),
      column((record) => record.parentJobId),
      column((record) => record.runAt),
    ],
  };
}
