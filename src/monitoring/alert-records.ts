import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { AlertRecord, AlertSeverity } from './alert-record.entity';

export type NewAlertRecord = Pick<AlertRecord, 'tenantId' | 'severity' | 'kind' | 'queue' | 'message' | 'details'>
  & Partial<Pick<AlertRecord, 'conditionKey' | 'lastSeenAt'>>;

export interface AlertFilter {
  severity?: AlertSeverity;
  acknowledged?: boolean;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** Whose alerts a reader sees: one tenant's (under RLS), or every one, service-wide ones too (operators). */
export type AlertReader = { tenantId: string } | 'all';

export type AcknowledgeOutcome = { outcome: 'acknowledged' | 'already'; alert: AlertRecord } | { outcome: 'missing' };

/** Every read and write of `alert_history`; tenant work runs under RLS. */
@Injectable()
export class AlertRecords {
  constructor(private readonly scope: TenantScope) {}

  /** A tenant's alert under its RLS scope; a service-wide one (tenantId null) under the system role. */
  async insert(alert: NewAlertRecord): Promise<void> {
    const write = (manager: EntityManager) => this.insertIn(manager, alert);
    await (alert.tenantId === null ? this.scope.system(write) : this.scope.run(alert.tenantId, write));
  }

  /** Inside the caller's transaction, so the alert commits (or not) with what it reports; answers its id. */
  async insertIn(manager: EntityManager, alert: NewAlertRecord): Promise<string> {
    // The cast: TypeORM's deep-partial type does not accept `unknown` jsonb values.
    const result = await manager.insert(AlertRecord, alert as QueryDeepPartialEntity<AlertRecord>);
    return (result.identifiers[0] as { id: string }).id;
  }

  list(reader: AlertReader, filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }> {
    return this.read(reader, async (manager) => {
      const query = manager.createQueryBuilder(AlertRecord, 'alert');
      if (filter.severity) query.andWhere('alert.severity = :severity', { severity: filter.severity });
      if (filter.acknowledged !== undefined) {
        query.andWhere(filter.acknowledged ? 'alert.acknowledgedAt IS NOT NULL' : 'alert.acknowledgedAt IS NULL');
      }
      if (filter.from) query.andWhere('alert.createdAt >= :from', { from: filter.from });
      if (filter.to) query.andWhere('alert.createdAt < :to', { to: filter.to });
      const [items, total] = await query
        .orderBy('alert.createdAt', 'DESC')
        .addOrderBy('alert.id', 'DESC')
        .take(filter.limit)
        .skip(filter.offset)
        .getManyAndCount();
      return { items, total };
    });
  }

  /** Records who acknowledged and when, once: a second acknowledgement changes nothing. */
  acknowledge(reader: AlertReader, id: string, by: string): Promise<AcknowledgeOutcome> {
    return this.read(reader, async (manager) => {
      const alert = await manager.findOne(AlertRecord, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!alert) return { outcome: 'missing' };
      if (alert.acknowledgedAt) return { outcome: 'already', alert };
      alert.acknowledgedAt = new Date();
      alert.acknowledgedBy = by;
      await manager.update(AlertRecord, { id }, { acknowledgedAt: alert.acknowledgedAt, acknowledgedBy: by });
      return { outcome: 'acknowledged', alert };
    });
  }

  /**
   * Serialises work on one monitoring condition across processes for the caller's transaction,
   * then answers the condition's latest alert.
   */
  async lockLatestOfConditionIn(manager: EntityManager, conditionKey: string): Promise<AlertRecord | null> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('alert_condition'), hashtext($1))`, [conditionKey]);
    return manager.findOne(AlertRecord, { where: { conditionKey }, order: { createdAt: 'DESC' } });
  }

  /** The condition still holds (or holds again within its cooldown): seen now, and open. */
  async markSeenIn(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.update(AlertRecord, { id }, { lastSeenAt: at, resolvedAt: null });
  }

  async markResolvedIn(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.update(AlertRecord, { id }, { resolvedAt: at });
  }

  /** Open monitoring alerts (condition keys with no resolution yet), every tenant's. */
  openConditions(): Promise<Pick<AlertRecord, 'id' | 'conditionKey' | 'tenantId'>[]> {
    return this.scope.system((manager) =>
      manager
        .createQueryBuilder(AlertRecord, 'alert')
        .select(['alert.id', 'alert.conditionKey', 'alert.tenantId'])
        .where('alert.conditionKey IS NOT NULL AND alert.resolvedAt IS NULL')
        .getMany(),
    );
  }

  private read<T>(reader: AlertReader, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return reader === 'all' ? this.scope.system(work) : this.scope.run(reader.tenantId, work);
  }
}
