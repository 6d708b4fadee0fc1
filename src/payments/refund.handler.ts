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
    return { orderId: payload.orderId, paymentIntentId: payload.paymentIntentId, ...outcome };
  }
}
