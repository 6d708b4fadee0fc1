import { sandboxId } from '../common/sandbox/sandbox-ids';
import { PermanentJobError } from '../job-definitions/job-errors';
import {
  CreateCustomer, CreatePaymentIntent, CreateRefund, CustomerOutcome, PaymentGateway, PaymentIntentOutcome,
  PaymentMethodOutcome, RefundablePayment, RefundOutcome, StripeWebhookEvent, WebhookSignatureError,
} from './payment.gateway';
import { verifyStripeSignature } from './stripe-signature';
import type { ProviderKey } from '../job-definitions/provider-key';

/** Stripe's test payment methods that decline, with the decline code Stripe reports. */
const DECLINING_PAYMENT_METHODS: Record<string, string> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_visa_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_chargeDeclinedExpiredCard: 'expired_card',
};
/** Stripe's test payment method that asks for 3-D Secure. */
const AUTHENTICATION_REQUIRED = 'pm_card_authenticationRequired';

interface SandboxIntent {
  outcome: PaymentIntentOutcome;
  paymentMethodId: string;
  refunded: number;
  tenantId?: string;
}

/**
 * No network: behaves like Stripe test mode for the payment methods that matter here, with ids
 * derived from the idempotency key (the same request always gets the same id). What it created
 * is remembered in this process only: an intent created by another process is unknown here.
 */
export class SandboxPaymentGateway extends PaymentGateway {
  private readonly intents = new Map<string, SandboxIntent>();

  /** `webhookSecret`: when set, events signed with it verify as they would live. */
  constructor(private readonly webhookSecret?: string) {
    super();
  }

  async createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome> {
    const paymentIntentId = sandboxId('pi_sandbox_', idempotencyKey);
    const known = this.intents.get(paymentIntentId);
    if (known) return { ...known.outcome };
    const outcome: PaymentIntentOutcome = { paymentIntentId, status: 'requires_confirmation', amount: request.amount, currency: request.currency };
    this.intents.set(paymentIntentId, { outcome, paymentMethodId: request.paymentMethodId, refunded: 0, tenantId: request.metadata?.tenantId });
    return { ...outcome };
  }

  async getPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome> {
    return { ...this.intent(paymentIntentId).outcome };
  }

  async confirmPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome> {
    const intent = this.intent(paymentIntentId);
    if (intent.outcome.status === 'requires_confirmation' || intent.outcome.status === 'requires_payment_method') {
      const declineCode = DECLINING_PAYMENT_METHODS[intent.paymentMethodId];
      if (declineCode) {
        intent.outcome.status = 'requires_payment_method';
        throw new PermanentJobError('card_declined', `Your card was declined. (decline code: ${declineCode})`);
      }
      if (intent.paymentMethodId === AUTHENTICATION_REQUIRED) {
        Object.assign(intent.outcome, { status: 'requires_action', nextActionType: 'use_stripe_sdk' });
      } else {
        intent.outcome.status = 'succeeded';
      }
    }
    return { ...intent.outcome };
  }

  async cancelPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome> {
    const intent = this.intent(paymentIntentId);
    if (intent.outcome.status === 'succeeded') {
      throw new PermanentJobError('payment_intent_unexpected_state', 'A succeeded PaymentIntent cannot be canceled');
    }
    intent.outcome.status = 'canceled';
    delete intent.outcome.nextActionType;
    return { ...intent.outcome };
  }

  async createRefund(request: CreateRefund, idempotencyKey: ProviderKey): Promise<RefundOutcome> {
    const intent = this.intents.get(request.paymentIntentId);
    let amount = request.amount ?? null;
    if (intent) {
      const left = intent.outcome.amount - intent.refunded;
      amount ??= left;
      if (amount > left) {
        throw new PermanentJobError('amount_too_large', `Refund amount (${amount}) is greater than the amount left to refund (${left})`);
      }
      intent.refunded += amount;
    }
    return { refundId: sandboxId('re_sandbox_', idempotencyKey), status: 'succeeded', amount };
  }

  async getRefundablePayment(paymentIntentId: string): Promise<RefundablePayment> {
    const { outcome, refunded, tenantId } = this.intent(paymentIntentId);
    return {
      paymentIntentId,
      status: outcome.status,
      amountReceived: outcome.status === 'succeeded' ? outcome.amount : 0,
      amountRefunded: refunded,
      ...(tenantId ? { tenantId } : {}),
    };
  }

  async getRefund(refundId: string): Promise<RefundOutcome> {
    return { refundId, status: 'succeeded', amount: null };
  }

  async createCustomer(_request: CreateCustomer, idempotencyKey: ProviderKey): Promise<CustomerOutcome> {
    return { customerId: sandboxId('cus_sandbox_', idempotencyKey) };
  }

  async attachPaymentMethod(paymentMethodId: string, customerId: string): Promise<PaymentMethodOutcome> {
    return { paymentMethodId, customerId };
  }

  verifyWebhookSignature(rawBody: Buffer | string, signature: string | undefined): StripeWebhookEvent {
    if (!this.webhookSecret) throw new WebhookSignatureError('bad_signature');
    return verifyStripeSignature(rawBody, signature, this.webhookSecret) as unknown as StripeWebhookEvent;
  }

  private intent(paymentIntentId: string): SandboxIntent {
    const intent = this.intents.get(paymentIntentId);
    if (!intent) throw new PermanentJobError('resource_missing', `No such PaymentIntent in this sandbox process: ${paymentIntentId}`);
    return intent;
  }
}
