import Stripe from 'stripe';
import type { ProviderEnvironment } from '../config/providers.config';
import {
  CreateCustomer, CreatePaymentIntent, CreateRefund, CustomerOutcome, PaymentGateway, PaymentIntentOutcome,
  PaymentIntentStatus, PaymentMethodOutcome, RefundablePayment, RefundOutcome, StripeWebhookEvent,
} from './payment.gateway';
import { verifyStripeSignature } from './stripe-signature';
import { mapStripeError, withoutSecrets } from './stripe-errors';
import type { ProviderKey } from '../job-definitions/provider-key';

/**
 * The API version this service was written and tested against: the one stripe@23 ships with.
 * Pinned here so that an SDK upgrade cannot change Stripe's answers unnoticed (the type check
 * fails when the SDK's version moves).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

type StripeSettings = Pick<ProviderEnvironment, 'STRIPE_API_BASE_URL' | 'STRIPE_TIMEOUT_MS'> & {
  STRIPE_SECRET_KEY: string;
  STRIPE_WEBHOOK_SECRET: string;
};

/**
 * Stripe through its SDK. The SDK's own retries are off (`maxNetworkRetries: 0`): retries
 * belong to the job runner, which backs off by the job type's strategy, counts attempts, and
 * passes every retry through the provider's token bucket and circuit breaker. SDK retries
 * inside one attempt would hit a failing Stripe behind the breaker's back and stretch an
 * attempt past its lease. (The SDK still retries a closed connection once; our stable
 * Idempotency-Key makes that harmless.)
 */
export class StripePaymentGateway extends PaymentGateway {
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(settings: StripeSettings) {
    super();
    const base = settings.STRIPE_API_BASE_URL ? new URL(settings.STRIPE_API_BASE_URL) : undefined;
    this.stripe = new Stripe(settings.STRIPE_SECRET_KEY, {
      apiVersion: STRIPE_API_VERSION,
      maxNetworkRetries: 0,
      timeout: settings.STRIPE_TIMEOUT_MS,
      telemetry: false,
      ...(base && {
        host: base.hostname,
        port: base.port || (base.protocol === 'http:' ? 80 : 443),
        protocol: base.protocol === 'http:' ? 'http' : 'https',
      }),
    });
    this.webhookSecret = settings.STRIPE_WEBHOOK_SECRET;
  }

  async createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome> {
    return this.call(async () => {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency,
          payment_method: request.paymentMethodId,
          customer: request.customerId,
          description: request.description,
          metadata: request.metadata,
          // Confirmed by the server, with no page to return to: payment methods that redirect cannot be used.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        },
        { idempotencyKey },
      );
      return intentOutcome(intent);
    });
  }

  async getPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome> {
    return this.call(async () => intentOutcome(await this.stripe.paymentIntents.retrieve(paymentIntentId)));
  }

  async confirmPaymentIntent(paymentIntentId: string, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome> {
    return this.call(async () => intentOutcome(await this.stripe.paymentIntents.confirm(paymentIntentId, {}, { idempotencyKey })));
  }

  async cancelPaymentIntent(paymentIntentId: string, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome> {
    return this.call(async () => intentOutcome(await this.stripe.paymentIntents.cancel(paymentIntentId, {}, { idempotencyKey })));
  }

  async createRefund(request: CreateRefund, idempotencyKey: ProviderKey): Promise<RefundOutcome> {
    return this.call(async () => {
      const refund = await this.stripe.refunds.create(
        { payment_intent: request.paymentIntentId, amount: request.amount, reason: request.reason, metadata: request.metadata },
        { idempotencyKey },
      );
      return refundOutcome(refund);
    });
  }

  async getRefundablePayment(paymentIntentId: string): Promise<RefundablePayment> {
    return this.call(async () => {
      const intent = await this.stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });
      const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
      const tenantId = intent.metadata?.tenantId;
      return {
        paymentIntentId: intent.id,
        status: intent.status as PaymentIntentStatus,
        amountReceived: intent.amount_received ?? 0,
        amountRefunded: charge?.amount_refunded ?? 0,
        ...(tenantId ? { tenantId } : {}),
      };
    });
  }

  async getRefund(refundId: string): Promise<RefundOutcome> {
    return this.call(async () => refundOutcome(await this.stripe.refunds.retrieve(refundId)));
  }

  async createCustomer(request: CreateCustomer, idempotencyKey: ProviderKey): Promise<CustomerOutcome> {
    return this.call(async () => {
      const customer = await this.stripe.customers.create(
        { email: request.email, name: request.name, metadata: request.metadata },
        { idempotencyKey },
      );
      return { customerId: customer.id };
    });
  }

  async attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: ProviderKey): Promise<PaymentMethodOutcome> {
    return this.call(async () => {
      const method = await this.stripe.paymentMethods.attach(paymentMethodId, { customer: customerId }, { idempotencyKey });
      const customer = typeof method.customer === 'string' ? method.customer : (method.customer?.id ?? customerId);
      return { paymentMethodId: method.id, customerId: customer };
    });
  }

  verifyWebhookSignature(rawBody: Buffer | string, signature: string | undefined): StripeWebhookEvent {
    return verifyStripeSignature(rawBody, signature, this.webhookSecret) as unknown as StripeWebhookEvent;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw mapStripeError(error);
    }
  }
}

function intentOutcome(intent: Stripe.PaymentIntent): PaymentIntentOutcome {
  const outcome: PaymentIntentOutcome = {
    paymentIntentId: intent.id,
    status: intent.status as PaymentIntentStatus,
    amount: intent.amount,
    currency: intent.currency,
  };
  if (intent.status === 'requires_action' && intent.next_action) outcome.nextActionType = intent.next_action.type;
  return outcome;
}

function refundOutcome(refund: Stripe.Refund): RefundOutcome {
  return { refundId: refund.id, status: (refund.status ?? 'pending') as RefundOutcome['status'], amount: refund.amount };
}
