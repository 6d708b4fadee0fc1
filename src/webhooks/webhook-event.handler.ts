import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { WebhookEventPayload } from '../job-definitions/payloads/communication.payloads';
import { WebhookEndpoints } from './webhook-endpoints.repository';

/**
 * Fans an event out: one `webhook-deliver` follow-up per enabled endpoint subscribed to it.
 * Follow-ups are written with this job's completion and named after the endpoint, so their ids
 * derive from this job and the endpoint: a re-run never delivers to an endpoint twice.
 */
@Injectable()
@HandlesJob('webhook-event')
export class WebhookEventHandler implements JobHandler<'webhook-event', { event: string; endpoints: number }> {
  constructor(private readonly endpoints: WebhookEndpoints) {}

  async execute(payload: WebhookEventPayload, context: JobContext) {
    const endpoints = await this.endpoints.subscribedTo(context.tenantId, payload.event);
    for (const endpoint of endpoints) {
      await context.enqueue({
        name: `endpoint:${endpoint.id}`,
        type: 'webhook-deliver',
        data: { endpointId: endpoint.id, event: payload.event, eventId: context.jobId, body: payload.body },
      });
    }
    return { event: payload.event, endpoints: endpoints.length };
  }
}
