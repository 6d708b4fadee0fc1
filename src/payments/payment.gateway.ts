import type { ProviderKey } from '../job-definitions/provider-key';

export interface CreatePaymentIntent {
  amount: number;
  currency: string;
  paymentMethodId: string;
  customerId?: string;
  description?: string;
  metadata?: Record<string, string>;
}

/** Stripe's PaymentIntent statuses; anything else Stripe may add later passes through as a string. */
export type PaymentIntentStatus =
  | 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing'
  | 'requires_capture' | 'canceled' | 'succeeded';

export interface PaymentIntentOutcome {
  paymentIntentId: string;
  status: PaymentIntentStatus;
  amount: number;
  currency: string;
  /** Set when the status is `requires_action`: what the customer must do (e.g. `use_stripe_sdk`, `redirect_to_url`). */
  nextActionType?: string;
}

/** A payment intent as a refund needs it: whose it is, and what is left of it. */
export interface RefundablePayment {
  paymentIntentId: string;
  status: PaymentIntentStatus;
  /** Minor units Stripe received for the intent, and how much of it has been refunded. */
  amountReceived: number;
  amountRefunded: number;
  /** `metadata.tenantId`, written by the payment handler; absent on an intent made elsewhere. */
  tenantId?: string;
}

export interface CreateRefund {
  paymentIntentId: string;
  /** Minor units; the whole remaining amount when absent. */
  amount?: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
  metadata?: Record<string, string>;
}

export interface RefundOutcome {
  refundId: string;
  status: 'succeeded' | 'pending' | 'requires_action' | 'failed' | 'canceled';
  /** What was refunded; null only where the amount is unknown (a full refund in the sandbox). */
  amount: number | null;
}

export interface CreateCustomer {
  email?: string;
  name?: string;
  metadata?: Record<string, string>;
}

export interface CustomerOutcome {
  customerId: string;
}

export interface PaymentMethodOutcome {
  paymentMethodId: string;
  customerId: string;
}

/** A verified Stripe event, as far as this service reads it. */
export interface StripeWebhookEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  data: { object: Record<string, unknown> };
}

/** Stripe's default: a signed timestamp older (or newer) than this is refused, so a captured delivery cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type WebhookSignatureProblem = 'missing_signature' | 'missing_body' | 'stale_signature' | 'bad_signature';

const SIGNATURE_PROBLEMS: Record<WebhookSignatureProblem, string> = {
  missing_signature: 'Missing Stripe-Signature header',
  missing_body: 'The request has no JSON body to verify',
  stale_signature: `The Stripe-Signature timestamp is older than ${WEBHOOK_TOLERANCE_SECONDS} s`,
  bad_signature: 'The Stripe-Signature header does not match the body',
};

/** A `Stripe-Signature` that is missing, malformed, wrong or stale; the message never quotes the header, body or secret. */
export class WebhookSignatureError extends Error {
  constructor(readonly problem: WebhookSignatureProblem) {
    super(SIGNATURE_PROBLEMS[problem]);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * Stripe, as the handlers see it. Every mutating call takes an `idempotencyKey`, a `ProviderKey`
 * derived from the tenant, the job and the step (`JobContext.providerKey`), so that a repeated call
 * replays Stripe's first answer instead of charging or refunding twice. Failures are thrown as
 * JobErrors: permanent (declined card, invalid request, idempotency misuse) or transient.
 */
export abstract class PaymentGateway {
  abstract createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome>;
  abstract getPaymentIntent(paymentIntentId: string): Promise<PaymentIntentOutcome>;
  abstract confirmPaymentIntent(paymentIntentId: string, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome>;
  abstract cancelPaymentIntent(paymentIntentId: string, idempotencyKey: ProviderKey): Promise<PaymentIntentOutcome>;
  abstract createRefund(request: CreateRefund, idempotencyKey: ProviderKey): Promise<RefundOutcome>;
  /** The intent with its latest charge: received and refunded amounts, and the tenant its metadata names. */
  abstract getRefundablePayment(paymentIntentId: string): Promise<RefundablePayment>;
  abstract getRefund(refundId: string): Promise<RefundOutcome>;
  abstract createCustomer(request: CreateCustomer, idempotencyKey: ProviderKey): Promise<CustomerOutcome>;
  abstract attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: ProviderKey): Promise<PaymentMethodOutcome>;
  /**
   * Checks `Stripe-Signature` against the raw request body with the endpoint secret and a
   * 300 s tolerance; answers the event, or throws WebhookSignatureError.
   */
  abstract verifyWebhookSignature(rawBody: Buffer | string, signature: string | undefined): StripeWebhookEvent;
}
