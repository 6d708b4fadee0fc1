import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { RefundProcessPayload } from '../job-definitions/payloads/money.payloads';
import { PaymentGateway, RefundOutcome } from './payment.gateway';

@Injectable()
@HandlesJob('refund-process')
export class RefundHandler implements JobHandler<'refund-process', RefundOutcome & { orderId: string; paymentIntentId: string }> {
  constructor(private readonly payments: PaymentGateway) {}

  async execute(payload: RefundProcessPayload, context: JobContext) {
    const outcome = await context.step('refund_created', () =>
      this.payments.createRefund(
        { paymentIntentId: payload.paymentIntentId, amount: payload.amount, reason: payload.reason },
        `${context.idempotencyKey}:refund`,
      ),
    );
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
