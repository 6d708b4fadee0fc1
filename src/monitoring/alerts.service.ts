import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { AlertRecord, AlertSeverity } from './alert-record.entity';

export interface NewAlert {
  /** Null for a service-wide alert (a queue, a provider, the emergency stop): only operators see it. */
  tenantId: string | null;
  severity: AlertSeverity;
  /** A dotted event name that routes and notifications match on, e.g. `job.dead_lettered`. */
  kind: string;
  queue?: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Writes alerts to the alert history, a tenant's or the service's; notifying people comes later. */
@Injectable()
export class AlertsService {
  constructor(private readonly scope: TenantScope) {}

  async raise(alert: NewAlert): Promise<void> {
    const write = async (manager: EntityManager) => {
      // The cast: TypeORM's deep-partial type does not accept `unknown` jsonb values.
      await manager.insert(AlertRecord, {
        tenantId: alert.tenantId,
        severity: alert.severity,
        kind: alert.kind,
        queue: alert.queue ?? null,
        message: alert.message,
        details: alert.details ?? {},
      } as QueryDeepPartialEntity<AlertRecord>);
    };
    await (alert.tenantId === null ? this.scope.system(write) : this.scope.run(alert.tenantId, write));
  }
}
