import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { SERVICE_TENANT_ID } from '../job-definitions/job-envelope';
import type { JobType } from '../job-definitions/job-types';
import { derivedJobId } from '../jobs/derived-id';
import type { SubmitJobRequest } from '../jobs/dto/submit-job.dto';
import { FollowUps } from '../jobs/follow-ups';
import { JobEnqueuer, PlannedJob } from '../jobs/job-enqueuer';
import { validatePayload } from '../jobs/job-submissions';
import type { AlertSeverity } from '../monitoring/alert-record.entity';

export const ALERT_CHANNELS = ['email', 'sms', 'webhook'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

export interface DeliverableAlert {
  id: string;
  tenantId: string | null;
  severity: AlertSeverity;
  kind: string;
  queue?: string | null;
  message: string;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** One delivery job of an alert: its channel, the job and (for e-mail and SMS) whom it goes to. */
export interface PlannedDelivery {
  channel: AlertChannel;
  to?: string;
  jobId: string;
  tenantId: string;
}

const SMS_LENGTH = 320;

/**
 * An alert's deliveries, each its own job (retried and recorded like any other) written in the
 * alert's transaction with its outbox entries: e-mail to ALERT_EMAIL_TO, SMS to ALERT_SMS_TO for
 * critical alerts, and the `alert.raised` webhook event for a tenant's alert. Ids and keys derive
 * from the alert and the channel, so a delivery is never written twice; a failing channel fails
 * only its own job.
 */
@Injectable()
export class AlertDeliveries {
  private readonly logger = new Logger(AlertDeliveries.name);

  constructor(
    private readonly config: AppConfig,
    private readonly enqueuer: JobEnqueuer,
    private readonly followUps: FollowUps,
  ) {}

  /** `everyChannel`: a test alert goes through every configured channel, whatever its severity. */
  async recordIn(manager: EntityManager, alert: DeliverableAlert, everyChannel = false): Promise<PlannedDelivery[]> {
    const tenantId = alert.tenantId ?? SERVICE_TENANT_ID;
    const planned: { delivery: PlannedDelivery; job: PlannedJob }[] = [];
    for (const request of this.requestsOf(alert, everyChannel)) {
      const name = request.to ? `${request.channel}:${request.to}` : request.channel;
      const submission: SubmitJobRequest = { type: request.type, data: request.data, options: { idempotencyKey: `alert:${alert.id}:${name}` } };
      const { payload, problems } = await validatePayload(submission, `alert.${name}`);
      if (problems.length) {
        this.logger.error({ alertId: alert.id, channel: request.channel, problems }, 'An alert delivery is invalid; it is not sent');
        continue;
      }
      const id = derivedJobId('alert', alert.id, name);
      const job = this.enqueuer.plan({ tenantId, userId: null, origin: 'system' }, submission, payload, `alert.${name}`, id);
      planned.push({ delivery: { channel: request.channel, to: request.to, jobId: id, tenantId }, job });
    }
    await this.followUps.recordIn(manager, tenantId, planned.map(({ job }) => job));
    return planned.map(({ delivery }) => delivery);
  }

  private requestsOf(alert: DeliverableAlert, everyChannel: boolean): { channel: AlertChannel; to?: string; type: JobType; data: Record<string, unknown> }[] {
    const { alertEmailTo, alertSmsTo } = this.config.monitoring;
    const emails = alertEmailTo.map((to) => ({
      channel: 'email' as const, to, type: 'email-send' as const,
      data: { to, template: 'admin-alert', data: { title: alert.kind, severity: alert.severity, message: alert.message } },
    }));
    const smsWanted = everyChannel || alert.severity === 'critical';
    const sms = smsWanted ? alertSmsTo.map((to) => ({
      channel: 'sms' as const, to, type: 'sms-send' as const,
      data: { to, body: `[${alert.severity}] ${alert.message}`.slice(0, SMS_LENGTH) },
    })) : [];
    const webhook = alert.tenantId === null ? [] : [{
      channel: 'webhook' as const, type: 'webhook-event' as const,
      data: {
        event: 'alert.raised',
        body: {
          alertId: alert.id, kind: alert.kind, severity: alert.severity, queue: alert.queue ?? null,
          message: alert.message, details: alert.details, raisedAt: alert.createdAt.toISOString(),
        },
      },
    }];
    return [...emails, ...sms, ...webhook];
  }
}
