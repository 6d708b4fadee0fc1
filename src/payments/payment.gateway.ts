export interface CreatePaymentIntent {
  amount: number;
  currency: string;
  paymentMethodId: string;
  customerId?: string;
  description?: string;
  metadata?: Record<string, string>;
}

export interface PaymentIntentOutcome {
  paymentIntentId: string;
  status: 'succeeded' | 'processing' | 'requires_action';
  amount: number;
  currency: string;
}

export interface CreateRefund {
  paymentIntentId: string;
  amount?: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
}

export interface RefundOutcome {
  refundId: string;
  status: 'succeeded' | 'pending';
  amount: number | null;
}

/**
 * Stripe, as the handlers see it. `idempotencyKey` must be stable across re-runs of one
 * job, so that a repeated call can never charge or refund twice.
 */
export abstract class PaymentGateway {
  abstract createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: string): Promise<PaymentIntentOutcome>;
  abstract createRefund(request: CreateRefund, idempotencyKey: string): Promise<RefundOutcome>;
}
