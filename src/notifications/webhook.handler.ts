import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { WebhookDeliverPayload } from '../job-definitions/payloads/communication.payloads';
import { WebhookGateway } from './webhook.gateway';

type WebhookResult = { event: string; statusCode: number };

/** Delivers one event to one receiver; the job's id is the delivery id receivers dedupe on. */
@Injectable()
@HandlesJob('webhook-deliver')
export class WebhookHandler implements JobHandler<'webhook-deliver', WebhookResult> {
  constructor(private readonly webhooks: WebhookGateway) {}

  async execute(payload: WebhookDeliverPayload, context: JobContext): Promise<WebhookResult> {
    const { statusCode } = await this.webhooks.deliver({
      url: payload.url,
      event: payload.event,
      deliveryId: context.jobId,
      body: payload.body,
    });
    return { event: payload.event, statusCode };
  }
}
