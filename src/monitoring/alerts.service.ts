import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { AlertRecord, AlertSeverity } from './alert-record.entity';

export interface NewAlert {
  tenantId: string;
  severity: AlertSeverity;
  /** A dotted event name that routes and notifications match on, e.g. `job.dead_lettered`. */
  kind: string;
  queue?: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Writes alerts to the tenant's alert history; notifying people about them comes later. */
@Injectable()
export class AlertsService {
  constructor(private readonly scope: TenantScope) {}

  async raise(alert: NewAlert): Promise<void> {
    await this.scope.run(alert.tenantId, async (manager) => {
      // The cast: TypeORM's deep-partial type does not accept `unknown` jsonb values.
      await manager.insert(AlertRecord, {
        tenantId: alert.tenantId,
        severity: alert.severity,
        kind: alert.kind,
        queue: alert.queue ?? null,
        message: alert.message,
        details: alert.details ?? {},
      } as QueryDeepPartialEntity<AlertRecord>);
    });
  }
}
