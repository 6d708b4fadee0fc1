import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { PaymentProcessPayload } from '../job-definitions/payloads/money.payloads';
import { PaymentGateway, PaymentIntentOutcome } from './payment.gateway';

@Injectable()
@HandlesJob('payment-process')
export class PaymentHandler implements JobHandler<'payment-process', PaymentIntentOutcome & { orderId: string }> {
  constructor(private readonly payments: PaymentGateway) {}

  async execute(payload: PaymentProcessPayload, context: JobContext) {
    const outcome = await context.step('payment_intent_confirmed', () =>
      this.payments.createPaymentIntent(
        {
          amount: payload.amount,
          currency: payload.currency,
          paymentMethodId: payload.paymentMethodId,
          customerId: payload.customerId,
          description: payload.description,
          metadata: { ...payload.metadata, orderId: payload.orderId, tenantId: context.tenantId },
        },
        `${context.idempotencyKey}:payment_intent`,
      ),
    );
    if (payload.customerEmail && outcome.status === 'succeeded') {
      await context.enqueue({
        name: 'payment-confirmation-email',
        type: 'email-send',
        data: {
          to: payload.customerEmail,
          template: 'payment-confirmation',
          data: { orderId: payload.orderId, amount: outcome.amount, currency: outcome.currency, paymentIntentId: outcome.paymentIntentId },
        },
      });
    }
    if (outcome.status === 'succeeded') {
      await context.enqueue({
        name: 'webhook:payment.completed',
        type: 'webhook-event',
        data: {
          event: 'payment.completed',
          body: { jobId: context.jobId, orderId: payload.orderId, paymentIntentId: outcome.paymentIntentId, amount: outcome.amount, currency: outcome.currency },
        },
      });
    }
    return { orderId: payload.orderId, ...outcome };
  }
}
