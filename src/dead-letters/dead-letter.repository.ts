import { Injectable } from '@nestjs/common';
import { EntityManager, In, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { DeadLetterJob } from './dead-letter.entity';

export interface DeadLetterFilter {
  queue?: string;
  type?: string;
  errorType?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** A new entry: everything but what the table fills in. */
export type NewDeadLetter = Omit<DeadLetterJob, 'id' | 'createdAt'>;

export interface GroupCount {
  key: string;
  count: number;
}

export interface DeadLetterTotals {
  total: number;
  byQueue: GroupCount[];
  byType: GroupCount[];
  oldestAt: Date | null;
  newestAt: Date | null;
}

export interface ErrorGroup {
  errorType: string;
  count: number;
  lastSeenAt: Date;
  sampleMessage: string;
}

const EXPORT_CURSOR = 'dlq_export';
const FOLLOW_UP_SAVEPOINT = 'dead_letter_follow_up';

/** The new entry's id; `followUpError` when what was to be written with it was rolled back instead. */
export interface AddedDeadLetter {
  id: string;
  followUpError?: unknown;
}

/** All reads and writes of dead_letter_jobs behind the DLQ routes; tenant work runs under RLS. */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly scope: TenantScope) {}

  /**
   * Writes an entry for a job that failed for good, then what `alsoIn` adds in its transaction
   * behind a savepoint: a follow-up that fails is rolled back alone and handed back as
   * `followUpError`, and the entry still commits.
   */
  add(entry: NewDeadLetter, alsoIn?: (manager: EntityManager, id: string) => Promise<unknown>): Promise<AddedDeadLetter> {
    return this.scope.run(entry.tenantId, async (manager) => {
      // The cast: TypeORM's deep-partial type does not accept `unknown` jsonb values.
      const inserted = await manager.insert(DeadLetterJob, { ...entry } as QueryDeepPartialEntity<DeadLetterJob>);
      const id = String(inserted.identifiers[0]?.id);
      if (!alsoIn) return { id };
      await manager.query(`SAVEPOINT ${FOLLOW_UP_SAVEPOINT}`);
      try {
        await alsoIn(manager, id);
        await manager.query(`RELEASE SAVEPOINT ${FOLLOW_UP_SAVEPOINT}`);
        return { id };
      } catch (followUpError) {
        await manager.query(`ROLLBACK TO SAVEPOINT ${FOLLOW_UP_SAVEPOINT}`);
        return { id, followUpError };
      }
    });
  }

  /** Newest first. */
  list(tenantId: string, filter: DeadLetterFilter, limit: number, offset: number) {
    return this.scope.run(tenantId, async (manager) => {
      const [items, total] = await newestFirst(filtered(manager, filter)).take(limit).skip(offset).getManyAndCount();
      return { items, total };
    });
  }

  /** Oldest first: the order a bulk retry puts jobs back in. */
  oldest(tenantId: string, filter: DeadLetterFilter, limit: number): Promise<DeadLetterJob[]> {
    return this.scope.run(tenantId, (manager) =>
      filtered(manager, filter).orderBy('entry.createdAt', 'ASC').addOrderBy('entry.id', 'ASC').take(limit).getMany(),
    );
  }

  find(tenantId: string, id: string): Promise<DeadLetterJob | null> {
    return this.scope.run(tenantId, (manager) => manager.findOneBy(DeadLetterJob, { id }));
  }

  findMany(tenantId: string, ids: string[]): Promise<DeadLetterJob[]> {
    return this.scope.run(tenantId, (manager) => manager.findBy(DeadLetterJob, { id: In(ids) }));
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.scope.run(tenantId, (manager) => manager.delete(DeadLetterJob, { id }));
    return (result.affected ?? 0) > 0;
  }

  /** Removes the entry and hands it over; of two concurrent claims, only one gets it. */
  claim(tenantId: string, id: string): Promise<DeadLetterJob | null> {
    return this.scope.run(tenantId, async (manager) => {
      const entry = await manager.findOne(DeadLetterJob, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (entry) await manager.delete(DeadLetterJob, { id });
      return entry;
    });
  }

  /** Puts a claimed entry back as it was (its retry could not be started). */
  async restore(entry: DeadLetterJob): Promise<void> {
    await this.scope.run(entry.tenantId, (manager) => manager.insert(DeadLetterJob, { ...entry } as QueryDeepPartialEntity<DeadLetterJob>));
  }

  totals(tenantId: string, filter: DeadLetterFilter): Promise<DeadLetterTotals> {
    return this.scope.run(tenantId, async (manager) => {
      const overall = await filtered(manager, filter)
        .select('COUNT(*)::int', 'total')
        .addSelect('MIN(entry.createdAt)', 'oldestAt')
        .addSelect('MAX(entry.createdAt)', 'newestAt')
        .getRawOne<{ total: number; oldestAt: Date | null; newestAt: Date | null }>();
      return {
        total: overall?.total ?? 0,
        oldestAt: overall?.oldestAt ?? null,
        newestAt: overall?.newestAt ?? null,
        byQueue: await countBy(manager, filter, 'queue'),
        byType: await countBy(manager, filter, 'type'),
      };
    });
  }

  /** Largest group first; each with the message of its latest failure. */
  errorGroups(tenantId: string, filter: DeadLetterFilter): Promise<ErrorGroup[]> {
    return this.scope.run(tenantId, async (manager) => {
      const groups = await filtered(manager, filter)
        .select('entry.errorType', 'errorType')
        .addSelect('COUNT(*)::int', 'count')
        .addSelect('MAX(entry.lastFailedAt)', 'lastSeenAt')
        .groupBy('entry.errorType')
        .orderBy('count', 'DESC')
        .addOrderBy('"lastSeenAt"', 'DESC')
        .getRawMany<Omit<ErrorGroup, 'sampleMessage'>>();
      const latest = await filtered(manager, filter)
        .select('entry.errorType', 'errorType')
        .addSelect('entry.errorMessage', 'message')
        .distinctOn(['entry.errorType'])
        .orderBy('entry.errorType')
        .addOrderBy('entry.lastFailedAt', 'DESC')
        .getRawMany<{ errorType: string; message: string }>();
      const messages = new Map(latest.map((row) => [row.errorType, row.message]));
      return groups.map((group) => ({ ...group, sampleMessage: messages.get(group.errorType) ?? '' }));
    });
  }

  /**
   * Hands matching entries, newest first, to `onPage` one page at a time through a server-side
   * cursor: one consistent snapshot, and never more than a page in memory.
   */
  forEachPage(
    tenantId: string,
    filter: DeadLetterFilter,
    pageSize: number,
    onPage: (entries: DeadLetterJob[]) => Promise<void>,
  ): Promise<void> {
    return this.scope.run(tenantId, async (manager) => {
      const query = newestFirst(filtered(manager, filter)).select([]);
      for (const column of manager.connection.getMetadata(DeadLetterJob).columns) {
        query.addSelect(`entry.${column.propertyName}`, column.propertyName);
      }
      const [sql, parameters] = query.getQueryAndParameters();
      await manager.query(`DECLARE ${EXPORT_CURSOR} NO SCROLL CURSOR FOR ${sql}`, parameters);
      for (;;) {
        const page: DeadLetterJob[] = await manager.query(`FETCH FORWARD ${Math.trunc(pageSize)} FROM ${EXPORT_CURSOR}`);
        if (page.length) await onPage(page);
        if (page.length < pageSize) return;
      }
    });
  }

  /** Entries of every tenant per queue (the DLQ-size metric); a queue without entries is absent. */
  countByQueueOfAllTenants(): Promise<GroupCount[]> {
    return this.scope.system(async (manager) => {
      const rows: { key: string; count: string }[] = await manager.query(
        `SELECT queue AS key, count(*) AS count FROM dead_letter_jobs GROUP BY queue`,
      );
      return rows.map((row) => ({ key: row.key, count: Number(row.count) }));
    });
  }

  /** Entries created since `since`, per tenant across all tenants (the monitoring check's DLQ growth). */
  countCreatedSinceByTenant(since: Date): Promise<GroupCount[]> {
    return this.scope.system(async (manager) => {
      const rows: { key: string; count: string }[] = await manager.query(
        `SELECT tenant_id AS key, count(*) AS count FROM dead_letter_jobs WHERE created_at >= $1 GROUP BY tenant_id`,
        [since],
      );
      return rows.map((row) => ({ key: row.key, count: Number(row.count) }));
    });
  }

  /**
   * Deletes the entries created before `cutoff` that the caller's transaction sees: every
   * tenant's under the system role (retention), one tenant's under RLS (cleanup job).
   */
  async deleteCreatedBeforeIn(manager: EntityManager, cutoff: Date): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(DeadLetterJob)
      .where('created_at < :cutoff', { cutoff })
      .execute();
    return result.affected ?? 0;
  }
}

function filtered(manager: EntityManager, filter: DeadLetterFilter): SelectQueryBuilder<DeadLetterJob> {
  const query = manager.createQueryBuilder(DeadLetterJob, 'entry');
  if (filter.queue) query.andWhere('entry.queue = :queue', { queue: filter.queue });
  if (filter.type) query.andWhere('entry.type = :type', { type: filter.type });
  if (filter.errorType) query.andWhere('entry.errorType = :errorType', { errorType: filter.errorType });
  if (filter.from) query.andWhere('entry.createdAt >= :from', { from: filter.from });
  if (filter.to) query.andWhere('entry.createdAt < :to', { to: filter.to });
  return query;
}

function newestFirst(query: SelectQueryBuilder<DeadLetterJob>): SelectQueryBuilder<DeadLetterJob> {
  // The id breaks ties, so that pages neither repeat nor skip entries of the same instant.
  return query.orderBy('entry.createdAt', 'DESC').addOrderBy('entry.id', 'DESC');
}

function countBy(manager: EntityManager, filter: DeadLetterFilter, column: 'queue' | 'type'): Promise<GroupCount[]> {
  return filtered(manager, filter)
    .select(`entry.${column}`, 'key')
    .addSelect('COUNT(*)::int', 'count')
    .groupBy(`entry.${column}`)
    .orderBy('count', 'DESC')
    .addOrderBy('key', 'ASC')
    .getRawMany<GroupCount>();
}
