import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user';
import { TenantScope } from '../database/tenant-scope';
import type { JobRecord } from '../persistence/job-record.entity';
import { JobRecords } from '../persistence/job-records';
import { OutboxRelay } from '../jobs/outbox-relay';
import { AlertRecord } from '../monitoring/alert-record.entity';
import { AlertRecords } from '../monitoring/alert-records';
import { AlertDeliveries, PlannedDelivery } from './alert-deliveries';
import type { AlertTestResult, ChannelResult, DeliveryOutcome } from './dto/alert-views.dto';
import { alertViewOf } from './alert-view.mapper';

/** How long POST /alerts/test waits for its delivery jobs before answering what it knows. */
export const ALERT_TEST_WAIT_MS = 15_000;
const POLL_MS = 200;

/**
 * A test alert in the caller's tenant, delivered through every configured channel by the same
 * jobs as a real alert; the route waits (boundedly) for those jobs' outcomes and says which
 * channel delivered. A webhook has delivered when the event's deliveries to every subscribed
 * endpoint completed (none subscribed: nothing to deliver, counted as delivered).
 */
@Injectable()
export class AlertTest {
  constructor(
    private readonly scope: TenantScope,
    private readonly records: AlertRecords,
    private readonly deliveries: AlertDeliveries,
    private readonly relay: OutboxRelay,
    private readonly jobs: JobRecords,
  ) {}

  async send(user: AuthUser): Promise<AlertTestResult> {
    const { alert, planned } = await this.scope.run(user.tenantId, async (manager) => {
      const fields = {
        tenantId: user.tenantId, severity: 'info' as const, kind: 'alert.test', queue: null,
        message: 'A test of the alert channels', details: { requestedBy: `${user.tenantId}:${user.userId}` },
      };
      const id = await this.records.insertIn(manager, fields);
      const saved = (await manager.findOneByOrFail(AlertRecord, { id }));
      return { alert: saved, planned: await this.deliveries.recordIn(manager, saved, true) };
    });
    this.relay.wake();
    const channels = await this.outcomes(planned, Date.now() + ALERT_TEST_WAIT_MS);
    return { alert: alertViewOf(alert), channels };
  }

  private async outcomes(planned: PlannedDelivery[], deadline: number): Promise<ChannelResult[]> {
    for (;;) {
      const results = await Promise.all(planned.map((delivery) => this.outcomeOf(delivery)));
      const settled = results.every((result) => result.outcome === 'delivered' || result.outcome === 'failed');
      if (settled || Date.now() >= deadline) return results;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async outcomeOf(delivery: PlannedDelivery): Promise<ChannelResult> {
    const record = await this.jobs.find(delivery.tenantId, delivery.jobId);
    let outcome = outcomeOfRecord(record);
    if (delivery.channel === 'webhook' && outcome === 'delivered') {
      const children = await this.jobs.findChildren(delivery.tenantId, delivery.jobId);
      const outcomes = children.map(outcomeOfRecord);
      outcome = outcomes.find((child) => child !== 'delivered') ?? 'delivered';
    }
    return { channel: delivery.channel, ...(delivery.to ? { to: delivery.to } : {}), jobId: delivery.jobId, outcome, succeeded: outcome === 'delivered' };
  }
}

function outcomeOfRecord(record: JobRecord | null): DeliveryOutcome {
  if (!record) return 'pending';
  if (record.status === 'completed') return 'delivered';
  if (record.status === 'failed' || record.status === 'cancelled') return 'failed';
  return record.attempts > 0 && record.status === 'delayed' ? 'retrying' : 'pending';
}
