import type { AlertRecord } from '../monitoring/alert-record.entity';
import type { AlertView } from './dto/alert-views.dto';

export function alertViewOf(alert: AlertRecord): AlertView {
  const iso = (date: Date | null) => (date ? date.toISOString() : null);
  return {
    id: alert.id,
    tenantId: alert.tenantId,
    severity: alert.severity,
    kind: alert.kind,
    queue: alert.queue,
    message: alert.message,
    details: alert.details,
    conditionKey: alert.conditionKey,
    createdAt: alert.createdAt.toISOString(),
    lastSeenAt: iso(alert.lastSeenAt),
    resolvedAt: iso(alert.resolvedAt),
    acknowledgedAt: iso(alert.acknowledgedAt),
    acknowledgedBy: alert.acknowledgedBy,
  };
}
