import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { JobErrorDetails, JobRecord } from '../database/entities/job-record.entity';
import { TenantScope } from '../database/tenant-scope';
import type { JobStatus } from '../jobs/job-status';
import type { QueueName } from '../queues/queue-names';

export type NewJobRecord = Pick<
  JobRecord,
  'id' | 'queue' | 'type' | 'status' | 'priority' | 'data' | 'maxAttempts' | 'idempotencyKey' | 'createdBy' | 'runAt'
>;

// TypeORM's deep-partial type does not accept `unknown` jsonb values; the columns are typed on JobRecord.
type JobRecordChanges = QueryDeepPartialEntity<JobRecord>;

export interface JobListQuery {
  queue: QueueName;
  status?: JobStatus;
  limit: number;
  offset: number;
}

/** All reads and writes of the `jobs` table: the durable record of persisted jobs. */
@Injectable()
export class JobRecords {
  constructor(private readonly scope: TenantScope) {}

  insert(tenantId: string, records: NewJobRecord[]): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      await manager.insert(
        JobRecord,
        records.map((record) => ({ ...record, tenantId, attempts: 0, progress: 0 }) as JobRecordChanges),
      );
    });
  }

  /** Undoes an insert whose jobs never reached Redis. */
  delete(tenantId: string, ids: string[]): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      await manager.delete(JobRecord, { id: In(ids) });
    });
  }

  find(tenantId: string, id: string): Promise<JobRecord | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(JobRecord, { id }));
  }

  findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<JobRecord | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(JobRecord, { idempotencyKey }));
  }

  markActive(tenantId: string, id: string, attempt: number): Promise<void> {
    return this.update(tenantId, id, {
      status: 'active',
      attempts: attempt,
      startedAt: new Date(),
      finishedAt: null,
    });
  }

  markProgress(tenantId: string, id: string, progress: number): Promise<void> {
    return this.update(tenantId, id, { progress });
  }

  markCompleted(tenantId: string, id: string, result: object): Promise<void> {
    return this.update(tenantId, id, {
      status: 'completed',
      result,
      error: null,
      progress: 100,
      finishedAt: new Date(),
    });
  }

  /** Records a failed attempt; `status` says whether Bull will retry it or it has ended. */
  markFailedAttempt(
    tenantId: string,
    id: string,
    status: Extract<JobStatus, 'waiting' | 'delayed' | 'failed' | 'cancelled'>,
    error: JobErrorDetails,
  ): Promise<void> {
    const ended = status === 'failed' || status === 'cancelled';
    return this.update(tenantId, id, { status, error, finishedAt: ended ? new Date() : null });
  }

  markCancelled(tenantId: string, id: string): Promise<void> {
    return this.update(tenantId, id, { status: 'cancelled', finishedAt: new Date() });
  }

  markCancelRequested(tenantId: string, id: string): Promise<void> {
    return this.update(tenantId, id, { cancelRequestedAt: new Date() });
  }

  /** Puts a failed job back in line for a fresh run. */
  markRequeued(tenantId: string, id: string): Promise<void> {
    return this.update(tenantId, id, {
      status: 'waiting',
      attempts: 0,
      progress: 0,
      error: null,
      result: null,
      startedAt: null,
      finishedAt: null,
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
        where: { queue: query.queue, ...(query.status ? { status: query.status } : {}) },
        order: { createdAt: 'DESC' },
        take: query.limit,
        skip: query.offset,
      });
      return { items, total };
    };
    return tenantId ? this.scope.run(tenantId, work) : this.scope.system(work);
  }

  private update(tenantId: string, id: string, changes: JobRecordChanges): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      await manager.update(JobRecord, { id }, changes);
    });
  }
}
