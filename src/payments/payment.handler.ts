import { Injectable } from '@nestjs/common';
import { PermanentJobError } from '../job-definitions/job-errors';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { PaymentProcessPayload } from '../job-definitions/payloads/money.payloads';
import { PaymentGateway, PaymentIntentOutcome } from './payment.gateway';

/** Statuses a confirmation has already reached: confirming again would add nothing. */
const CONFIRMED = new Set(['succeeded', 'processing', 'requires_action', 'requires_capture']);

export const PAYMENT_STEPS = { created: 'payment_intent_created', confirmed: 'payment_intent_confirmed' } as const;

/**
 * Creates the PaymentIntent, then confirms it, each as a journalled step with a key derived from
 * the job: a re-run after a crash retrieves the recorded intent instead of creating another.
 * `requires_action` (the customer must authenticate) completes the job with that status and
 * Stripe's next action type; it is not a failure to retry.
 */
@Injectable()
@HandlesJob('payment-process')
export class PaymentHandler implements JobHandler<'payment-process', PaymentIntentOutcome & { orderId: string }> {
  constructor(private readonly payments: PaymentGateway) {}

  async execute(payload: PaymentProcessPayload, context: JobContext) {
    let createdNow = false;
    const created = await context.step(PAYMENT_STEPS.created, async () => {
      createdNow = true;
      return this.payments.createPaymentIntent(
        {
          amount: payload.amount,
          currency: payload.currency,
          paymentMethodId: payload.paymentMethodId,
          customerId: payload.customerId,
          description: payload.description,
          metadata: { ...payload.metadata, orderId: payload.orderId, tenantId: context.tenantId, jobId: context.jobId },
        },
        context.providerKey(PAYMENT_STEPS.created),
      );
    });
    const confirmed = await context.step(PAYMENT_STEPS.confirmed, async () => {
      // A re-run: the intent may have moved on since it was recorded (an earlier confirmation whose answer was lost).
      const current = createdNow ? created : await this.payments.getPaymentIntent(created.paymentIntentId);
      if (CONFIRMED.has(current.status)) return current;
      if (current.status === 'canceled') {
        throw new PermanentJobError('payment_intent_canceled', `PaymentIntent ${current.paymentIntentId} was canceled`);
      }
      const outcome = await this.payments.confirmPaymentIntent(current.paymentIntentId, context.providerKey(PAYMENT_STEPS.confirmed));
      if (outcome.status === 'requires_payment_method') {
        throw new PermanentJobError('payment_failed', `PaymentIntent ${outcome.paymentIntentId} needs another payment method`);
      }
      return outcome;
    });
    if (payload.customerEmail && confirmed.status === 'succeeded') {
      await context.enqueue({
        name: 'payment-confirmation-email',
        type: 'email-send',
        data: {
          to: payload.customerEmail,
          template: 'payment-confirmation',
          data: { orderId: payload.orderId, amount: confirmed.amount, currency: confirmed.currency, paymentIntentId: confirmed.paymentIntentId },
        },
      });
    }
    if (confirmed.status === 'succeeded') {
      await context.enqueue({
        name: 'webhook:payment.completed',
        type: 'webhook-event',
        data: {
          event: 'payment.completed',
          body: { jobId: context.jobId, orderId: payload.orderId, paymentIntentId: confirmed.paymentIntentId, amount: confirmed.amount, currency: confirmed.currency },
        },
      });
    }
    return { orderId: payload.orderId, ...confirmed };
  }
}
