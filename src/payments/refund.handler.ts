import { Injectable } from '@nestjs/common';
import { PermanentJobError } from '../job-definitions/job-errors';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { RefundProcessPayload } from '../job-definitions/payloads/money.payloads';
import { PaymentGateway, RefundablePayment, RefundOutcome } from './payment.gateway';

export const REFUND_STEPS = { checked: 'refund_checked', created: 'refund_created' } as const;

/**
 * A full refund (no amount: what is left of the payment) or a partial one, of a payment of
 * this tenant. Before anything is refunded, the intent is read from Stripe: its metadata must
 * name this tenant, and the amount must fit what it received less what is refunded already;
 * otherwise the job fails for good and nothing is refunded. The check is journalled, so a
 * re-run after a refund whose answer was lost goes straight to the (replayed) refund instead
 * of counting that refund against itself. More than is left is `amount_too_large`, whether
 * the check or Stripe finds it.
 */
@Injectable()
@HandlesJob('refund-process')
export class RefundHandler implements JobHandler<'refund-process', RefundOutcome & { orderId: string; paymentIntentId: string }> {
  constructor(private readonly payments: PaymentGateway) {}

  async execute(payload: RefundProcessPayload, context: JobContext) {
    await context.step(REFUND_STEPS.checked, async () => {
      const payment = await this.payments.getRefundablePayment(payload.paymentIntentId);
      return { left: leftToRefund(payment, payload, context.tenantId) };
    });
    const outcome = await context.step(REFUND_STEPS.created, () =>
      this.payments.createRefund(
        {
          paymentIntentId: payload.paymentIntentId,
          amount: payload.amount,
          reason: payload.reason,
          metadata: { orderId: payload.orderId, tenantId: context.tenantId, jobId: context.jobId },
        },
        context.providerKey(REFUND_STEPS.created),
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

/** What the refund may take; throws (permanent) when the intent is not this tenant's or too little is left. */
function leftToRefund(payment: RefundablePayment, payload: RefundProcessPayload, tenantId: string): number {
  // The message names no other tenant: a refused caller learns only that the intent is not its own.
  if (payment.tenantId !== tenantId) {
    throw new PermanentJobError('refund_not_this_tenant', `PaymentIntent ${payload.paymentIntentId} is not a payment of this tenant`);
  }
  const left = payment.amountReceived - payment.amountRefunded;
  if (left <= 0) {
    throw new PermanentJobError('charge_already_refunded', `PaymentIntent ${payload.paymentIntentId} has nothing left to refund (${payment.status})`);
  }
  if (payload.amount !== undefined && payload.amount > left) {
    throw new PermanentJobError('amount_too_large', `Refund amount (${payload.amount}) is greater than the ${left} left to refund of PaymentIntent ${payload.paymentIntentId}`);
  }
  return left;
}
