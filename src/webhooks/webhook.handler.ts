import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { WebhookDeliverPayload } from '../job-definitions/payloads/communication.payloads';
import { WebhookDeliveries } from './webhook-deliveries.repository';
import { WebhookEndpoints } from './webhook-endpoints.repository';
import { WebhookGateway } from './webhook.gateway';

type WebhookResult =
  | { event: string; endpointId: string; statusCode: number }
  | { event: string; endpointId: string; skipped: 'endpoint_deleted' | 'endpoint_disabled' };

/**
 * Delivers one event to one endpoint, read as it is now (URL, secret, enabled). Every attempt is
 * recorded in webhook_deliveries, failed ones before their error goes on to the runner, which
 * retries or dead-letters it. The job's id is the delivery id receivers dedupe on.
 */
@Injectable()
@HandlesJob('webhook-deliver')
export class WebhookHandler implements JobHandler<'webhook-deliver', WebhookResult> {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly deliveries: WebhookDeliveries,
    private readonly webhooks: WebhookGateway,
  ) {}

  async execute(payload: WebhookDeliverPayload, context: JobContext): Promise<WebhookResult> {
    const { endpointId, event } = payload;
    const endpoint = await this.endpoints.find(context.tenantId, endpointId);
    if (!endpoint) return { event, endpointId, skipped: 'endpoint_deleted' };
    if (!endpoint.enabled) return { event, endpointId, skipped: 'endpoint_disabled' };

    const attemptedAt = new Date();
    const outcome = await this.webhooks.deliver({
      url: endpoint.url,
      secret: endpoint.secret,
      event,
      deliveryId: context.jobId,
      body: JSON.stringify({ id: payload.eventId, event, data: payload.body }),
    });
    await this.deliveries.record({
      tenantId: context.tenantId,
      endpointId,
      jobId: context.jobId,
      event,
      attempt: context.attempt,
      status: outcome.delivered ? 'succeeded' : 'failed',
      responseCode: outcome.statusCode,
      error: outcome.delivered ? null : `${outcome.error.code}: ${outcome.error.message}`,
      durationMs: Date.now() - attemptedAt.getTime(),
      attemptedAt,
    });
    if (!outcome.delivered) throw outcome.error;
    return { event, endpointId, statusCode: outcome.statusCode };
  }
}
