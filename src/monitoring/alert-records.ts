import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { AlertRecord } from './alert-record.entity';

export type NewAlertRecord = Pick<AlertRecord, 'tenantId' | 'severity' | 'kind' | 'queue' | 'message' | 'details'>;

/** Every read and write of `alert_history`; tenant work runs under RLS. */
@Injectable()
export class AlertRecords {
  constructor(private readonly scope: TenantScope) {}

  /** A tenant's alert under its RLS scope; a service-wide one (tenantId null) under the system role. */
  async insert(alert: NewAlertRecord): Promise<void> {
    const write = (manager: EntityManager) => this.insertIn(manager, alert);
    await (alert.tenantId === null ? this.scope.system(write) : this.scope.run(alert.tenantId, write));
  }

  /** Inside the caller's transaction, so the alert commits (or not) with what it reports. */
  async insertIn(manager: EntityManager, alert: NewAlertRecord): Promise<void> {
    // The cast: TypeORM's deep-partial type does not accept `unknown` jsonb values.
    await manager.insert(AlertRecord, alert as QueryDeepPartialEntity<AlertRecord>);
  }
}
