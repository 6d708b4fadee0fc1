import { Injectable } from '@nestjs/common';
import type { AlertSeverity } from './alert-record.entity';
import { AlertRecords } from './alert-records';

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
    await this.records.insert({
      tenantId: alert.tenantId,
      severity: alert.severity,
      kind: alert.kind,
      queue: alert.queue ?? null,
      message: alert.message,
      details: alert.details ?? {},
    });
  }
}
