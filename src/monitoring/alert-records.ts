import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { AlertRecord } from './alert-record.entity';

export type NewAlertRecord = Pick<AlertRecord, 'tenantId' | 'severity' | 'kind' | 'queue' | 'message' | 'details'>;

/** Every read and write of `alert_history`; tenant work runs under RLS. */
@Injectable()
export class AlertRecords {
  constructor(private readonly scope: TenantScope) {}

  async insert(alert: NewAlertRecord): Promise<void> {
    await this.scope.run(alert.tenantId, async (manager) => {
      // The cast: TypeORM's deep-partial type does not accept `unknown` jsonb values.
      await manager.insert(AlertRecord, alert as QueryDeepPartialEntity<AlertRecord>);
    });
  }
}
