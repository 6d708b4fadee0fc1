import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../config/app-config';

/** Stripe's own default: a signed timestamp older (or newer) than this is refused, so a captured delivery cannot be replayed later. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export type StripeSignatureProblem = 'missing_signature' | 'missing_body' | 'stale_signature' | 'bad_signature';

/** Why a delivery was refused; the message never quotes the header, the body or the secret. */
export class StripeSignatureRejected extends Error {
  constructor(readonly problem: StripeSignatureProblem) {
    super(
      {
        missing_signature: 'Missing Stripe-Signature header',
        missing_body: 'The request has no JSON body to verify',
        stale_signature: `The Stripe-Signature timestamp is older than ${STRIPE_SIGNATURE_TOLERANCE_SECONDS} s`,
        bad_signature: 'The Stripe-Signature header does not match the body',
      }[problem],
    );
  }
}

/**
 * Verifies `Stripe-Signature` (HMAC-SHA256 over `t.rawBody` with the endpoint secret,
 * STRIPE_WEBHOOK_SECRET) with the `stripe` SDK; no API key is needed. Without a secret, or
 * with Stripe disabled, inbound events are off.
 * (The gateway's `verifyWebhookSignature` is to take this over once both exist.)
 */
@Injectable()
export class StripeWebhookVerifier implements OnModuleInit {
  private readonly logger = new Logger('StripeWebhooks');
  private readonly secret: string | undefined;

  constructor(config: AppConfig) {
    const disabled = config.providers.modes.stripe === 'disabled';
    this.secret = disabled ? undefined : config.providers.env.STRIPE_WEBHOOK_SECRET;
  }

  get enabled(): boolean {
    return this.secret !== undefined;
  }

  onModuleInit(): void {
    if (!this.enabled) this.logger.warn('Inbound Stripe webhooks are off (no STRIPE_WEBHOOK_SECRET, or Stripe disabled): POST /webhooks/stripe answers 503');
  }

  /** The event, parsed from the raw body once its signature holds. */
  verify(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    if (!this.secret) throw new Error('Stripe webhooks are not configured');
    if (!signature) throw new StripeSignatureRejected('missing_signature');
    if (!rawBody?.length) throw new StripeSignatureRejected('missing_body');
    try {
      return Stripe.webhooks.constructEvent(rawBody, signature, this.secret, STRIPE_SIGNATURE_TOLERANCE_SECONDS);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw new StripeSignatureRejected(/tolerance/i.test(error.message) ? 'stale_signature' : 'bad_signature');
      }
      throw error;
    }
  }
}
