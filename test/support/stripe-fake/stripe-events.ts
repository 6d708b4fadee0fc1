import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../../src/payments/stripe-payment.gateway';

export interface SignedEvent {
  /** The raw body, exactly as Stripe posts it. */
  payload: string;
  /** The `Stripe-Signature` header: `t=<unix seconds>,v1=<HMAC-SHA256 of "t.payload">`. */
  signature: string;
  id: string;
}

/**
 * An event as Stripe would post it to a webhook endpoint, signed with the endpoint's secret.
 * `timestamp` (unix seconds) lets a test sign a stale event; `secret` a wrong one.
 */
export function signedStripeEvent(
  type: string,
  object: object,
  options: { secret: string; timestamp?: number; id?: string },
): SignedEvent {
  const id = options.id ?? `evt_${randomBytes(12).toString('hex')}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const payload = JSON.stringify({
    id,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: timestamp,
    livemode: false,
    type,
    data: { object },
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret, timestamp });
  return { payload, signature, id };
}
