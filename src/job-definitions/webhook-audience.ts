import type { WebhookEvent } from './payloads/communication.payloads';

/**
 * Whether any enabled endpoint of a tenant wants an event. `jobs/` asks before it plans a
 * `webhook-event` follow-up (an event nobody is subscribed to is not a job); `webhooks/`, which
 * owns the endpoints, answers. The token lets the lower layer ask without importing the higher.
 */
export interface WebhookAudience {
  isListening(tenantId: string, event: WebhookEvent): Promise<boolean>;
}

export const WEBHOOK_AUDIENCE = Symbol('WebhookAudience');
