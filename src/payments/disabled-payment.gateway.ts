import { PermanentJobError } from '../job-definitions/job-errors';
import {
  CustomerOutcome, PaymentGateway, PaymentIntentOutcome, PaymentMethodOutcome, RefundablePayment, RefundOutcome, StripeWebhookEvent,
} from './payment.gateway';

/** Stripe turned off by PROVIDERS_DISABLED: every call fails for good, naming why. */
export class DisabledPaymentGateway extends PaymentGateway {
  private refuse(): never {
    throw new PermanentJobError('provider_disabled', 'Stripe is disabled in this deployment (PROVIDERS_DISABLED)');
  }

  async createPaymentIntent(): Promise<PaymentIntentOutcome> {
    return this.refuse();
  }

  async getPaymentIntent(): Promise<PaymentIntentOutcome> {
    return this.refuse();
  }

  async confirmPaymentIntent(): Promise<PaymentIntentOutcome> {
    return this.refuse();
  }

  async cancelPaymentIntent(): Promise<PaymentIntentOutcome> {
    return this.refuse();
  }

  async createRefund(): Promise<RefundOutcome> {
    return this.refuse();
  }

  async getRefundablePayment(): Promise<RefundablePayment> {
    return this.refuse();
  }

  async getRefund(): Promise<RefundOutcome> {
    return this.refuse();
  }

  async createCustomer(): Promise<CustomerOutcome> {
    return this.refuse();
  }

  async attachPaymentMethod(): Promise<PaymentMethodOutcome> {
    return this.refuse();
  }

  verifyWebhookSignature(): StripeWebhookEvent {
    return this.refuse();
  }
}
