import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { sandboxId } from '../common/sandbox/sandbox-ids';
import { PermanentJobError } from '../job-definitions/job-errors';
import {
  CreatePaymentIntent, CreateRefund, PaymentGateway, PaymentIntentOutcome, RefundOutcome,
} from './payment.gateway';

/** Stripe's test payment methods that decline, with the decline code Stripe reports. */
const DECLINING_PAYMENT_METHODS: Record<string, string> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_chargeDeclinedExpiredCard: 'expired_card',
};

/** No network: behaves like Stripe test mode for the payment methods that matter here. */
@Injectable()
export class SandboxPaymentGateway extends PaymentGateway implements OnModuleInit {
  private readonly logger = new Logger('PaymentGateway');

  onModuleInit(): void {
    this.logger.warn('Payments run in the sandbox: no charge reaches Stripe');
  }

  async createPaymentIntent(request: CreatePaymentIntent, idempotencyKey: string): Promise<PaymentIntentOutcome> {
    const declineCode = DECLINING_PAYMENT_METHODS[request.paymentMethodId];
    if (declineCode) {
      throw new PermanentJobError('card_declined', `Your card was declined (${declineCode}).`);
    }
    return {
      paymentIntentId: sandboxId('pi_sandbox_', idempotencyKey),
      status: 'succeeded',
      amount: request.amount,
      currency: request.currency,
    };
  }

  async createRefund(request: CreateRefund, idempotencyKey: string): Promise<RefundOutcome> {
    return {
      refundId: sandboxId('re_sandbox_', idempotencyKey),
      status: 'succeeded',
      amount: request.amount ?? null,
    };
  }
}
