import Stripe from 'stripe';
import { WEBHOOK_TOLERANCE_SECONDS, WebhookSignatureError } from './payment.gateway';

/**
 * The one check of `Stripe-Signature`: HMAC-SHA256 over `t.rawBody` with the endpoint secret,
 * within Stripe's 300 s tolerance, done by the `stripe` SDK (no API key needed). Answers the
 * parsed event or throws WebhookSignatureError.
 */
export function verifyStripeSignature(rawBody: Buffer | string | undefined, signature: string | undefined, secret: string): Stripe.Event {
  if (!signature) throw new WebhookSignatureError('missing_signature');
  if (!rawBody?.length) throw new WebhookSignatureError('missing_body');
  try {
    return Stripe.webhooks.constructEvent(rawBody, signature, secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new WebhookSignatureError(/tolerance/i.test(error.message) ? 'stale_signature' : 'bad_signature');
    }
    throw error;
  }
}
