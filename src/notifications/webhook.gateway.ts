import { Injectable } from '@nestjs/common';
import { PermanentJobError, TransientJobError } from '../job-definitions/job-errors';

export interface OutgoingWebhook {
  url: string;
  event: string;
  /** Stable across re-deliveries of one event, so receivers can drop repeats. */
  deliveryId: string;
  body: Record<string, unknown>;
}

export interface WebhookResponse {
  statusCode: number;
}

const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Posts events to receivers' URLs. 2xx is delivered; 408, 429, 5xx, timeouts and network
 * errors are worth another attempt; any other answer means the receiver refuses the event.
 */
@Injectable()
export class WebhookGateway {
  async deliver(webhook: OutgoingWebhook): Promise<WebhookResponse> {
    let response: Response;
    try {
      response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'queue-service-webhooks',
          'x-webhook-event': webhook.event,
          'x-webhook-delivery': webhook.deliveryId,
        },
        body: JSON.stringify(webhook.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'could not be reached';
      throw new TransientJobError('webhook_unreachable', `The receiver ${reason}`);
    }
    const statusCode = response.status;
    if (statusCode >= 200 && statusCode < 300) return { statusCode };
    if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
      throw new TransientJobError('webhook_unavailable', `The receiver answered ${statusCode}`);
    }
    throw new PermanentJobError('webhook_rejected', `The receiver answered ${statusCode}`);
  }
}
