import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AlertSeverity } from './alert-record.entity';
import { AlertRecords, NewAlertRecord } from './alert-records';

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
  constructor(private readonly records: AlertRecords) {}

  async raise(alert: NewAlert): Promise<void> {
    await this.records.insert(recordOf(alert));
  }

  /** In the caller's transaction (a tenant's, for a tenant alert): raised only if that commits. */
  async raiseIn(manager: EntityManager, alert: NewAlert): Promise<void> {
    await this.records.insertIn(manager, recordOf(alert));
  }
}

function recordOf(alert: NewAlert): NewAlertRecord {
  return {
    tenantId: alert.tenantId,
    severity: alert.severity,
    kind: alert.kind,
    queue: alert.queue ?? null,
    message: alert.message,
    details: alert.details ?? {},
  };
}
