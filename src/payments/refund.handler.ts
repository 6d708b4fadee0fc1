import { Injectable } from '@nestjs/common';
import { PermanentJobError } from '../job-definitions/job-errors';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { RefundProcessPayload } from '../job-definitions/payloads/money.payloads';
import { PaymentGateway, RefundOutcome } from './payment.gateway';

export const REFUND_STEP = 'refund_created';

/**
 * A full refund (no amount: what is left of the payment) or a partial one. More than is left
 * to refund is Stripe's `amount_too_large`, a permanent failure.
 */
@Injectable()
@HandlesJob('refund-process')
export class RefundHandler implements JobHandler<'refund-process', RefundOutcome & { orderId: string; paymentIntentId: string }> {
  constructor(private readonly payments: PaymentGateway) {}

  async execute(payload: RefundProcessPayload, context: JobContext) {
    const outcome = await context.step(REFUND_STEP, () =>
      this.payments.createRefund(
        {
          paymentIntentId: payload.paymentIntentId,
          amount: payload.amount,
          reason: payload.reason,
          metadata: { orderId: payload.orderId, tenantId: context.tenantId, jobId: context.jobId },
        },
        context.providerKey(REFUND_STEP),
      ),
    );
    if (outcome.status === 'failed' || outcome.status === 'canceled') {
      throw new PermanentJobError(`refund_${outcome.status}`, `Stripe reports refund ${outcome.refundId} as ${outcome.status}`);
    }
    if (payload.customerEmail) {
      await context.enqueue({
        name: 'refund-confirmation-email',
        type: 'email-send',
        data: {
          to: payload.customerEmail,
          template: 'refund-confirmation',
          data: { orderId: payload.orderId, refundId: outcome.refundId, ...(outcome.amount === null ? {} : { amount: outcome.amount }) },
        },
      });
    }
    if (outcome.status === 'succeeded') {
      await context.enqueue({
        name: 'webhook:refund.completed',
        type: 'webhook-event',
        data: {
          event: 'refund.completed',
          body: {
            jobId: context.jobId, orderId: payload.orderId, paymentIntentId: payload.paymentIntentId, refundId: outcome.refundId,
            ...(outcome.amount === null ? {} : { amount: outcome.amount }),
          },
        },
      });
    }
    return { orderId: payload.orderId, paymentIntentId: payload.paymentIntentId, ...outcome };
  }
}
