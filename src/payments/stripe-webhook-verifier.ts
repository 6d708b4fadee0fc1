import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type Stripe from 'stripe';
import { verifyStripeSignature } from './stripe-signature';

/**
 * Inbound Stripe webhooks are on only with STRIPE_WEBHOOK_SECRET and Stripe not disabled; then
 * each delivery's `Stripe-Signature` is checked by verifyStripeSignature (the one check the
 * gateways use too).
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

  /** The event, parsed from the raw body once its signature holds; WebhookSignatureError otherwise. */
  verify(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    if (!this.secret) throw new Error('Stripe webhooks are not configured');
    return verifyStripeSignature(rawBody, signature, this.secret);
  }
}
