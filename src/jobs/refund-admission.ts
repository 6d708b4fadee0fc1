import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import type { FieldProblem } from '../common/errors/validation-details';
import { IdempotencyService } from '../idempotency/idempotency.service';
import type { JobRecord } from '../persistence/job-record.entity';
import { JobRecords } from '../persistence/job-records';
import type { SubmitJobRequest } from './dto/submit-job.dto';

/** One item of a submission, with its validated payload and where its data sits (`data`, `jobs.3.data`). */
export interface AdmissionItem {
  request: SubmitJobRequest;
  payload: Record<string, unknown>;
  dataField: string;
}

/** Refunds still counting against a payment: done, or on their way. */
const SETTLED_WITHOUT_REFUND = new Set(['failed', 'cancelled']);

/**
 * A refund names a payment of this tenant and asks no more than is left of it. When the
 * tenant's records hold the payment (a completed `payment-process` job whose result is the
 * intent), it must have succeeded, and the amount must fit what it received less the refunds
 * completed or in flight for it, this submission's earlier items included. An intent the
 * records do not know is checked when the job runs: its metadata must name the tenant, and
 * Stripe's own figures bound the amount (refund.handler.ts).
 */
@Injectable()
export class RefundAdmission {
  constructor(
    private readonly records: JobRecords,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** 422 naming `data.paymentIntentId` or `data.amount` of each refused refund. */
  async check(tenantId: string, items: AdmissionItem[]): Promise<void> {
    const problems: FieldProblem[] = [];
    const askedBefore = new Map<string, number>();
    for (const item of items) {
      if (item.request.type !== 'refund-process') continue;
      const intent = String(item.payload.paymentIntentId);
      const problem = await this.problemOf(tenantId, item, intent, askedBefore);
      if (problem) problems.push(problem);
    }
    if (problems.length) {
      throw new UnprocessableEntityException({ message: 'The refund does not fit a payment of this tenant', details: problems });
    }
  }

  private async problemOf(tenantId: string, item: AdmissionItem, intent: string, askedBefore: Map<string, number>): Promise<FieldProblem | undefined> {
    const payment = await this.records.findCompletedPaymentOfIntent(tenantId, intent);
    if (!payment) return undefined;
    const paid = payment.result as { status?: string; amount?: number } | null;
    if (paid?.status !== 'succeeded' || typeof paid.amount !== 'number') {
      return { field: `${item.dataField}.paymentIntentId`, message: `payment ${intent} has not succeeded (${paid?.status ?? 'no result'}): there is nothing to refund` };
    }
    // A replay of an accepted refund (its idempotency key) answers with that job: it must not count against itself.
    const key = this.idempotency.generateKey(tenantId, 'refund-process', item.payload, item.request.options?.idempotencyKey);
    const others = (await this.records.findRefundsOfIntent(tenantId, intent))
      .filter((refund) => !SETTLED_WITHOUT_REFUND.has(refund.status) && refund.idempotencyKey !== key);
    const committed = others.reduce((sum, refund) => sum + refundedBy(refund, paid.amount!), 0) + (askedBefore.get(intent) ?? 0);
    const left = Math.max(0, paid.amount - committed);
    const asked = typeof item.payload.amount === 'number' ? item.payload.amount : undefined;
    askedBefore.set(intent, (askedBefore.get(intent) ?? 0) + (asked ?? left));
    if (asked === undefined && left === 0) {
      return { field: `${item.dataField}.paymentIntentId`, message: `payment ${intent} has nothing left to refund (${paid.amount} paid, all refunded or being refunded)` };
    }
    if (asked !== undefined && asked > left) {
      return { field: `${item.dataField}.amount`, message: `amount ${asked} exceeds the ${left} left to refund of payment ${intent} (${paid.amount} paid, ${committed} refunded or being refunded)` };
    }
    return undefined;
  }
}

/** What a refund job takes from its payment: its result once completed; else what it asks, or all there is for a full refund. */
function refundedBy(refund: JobRecord, paymentAmount: number): number {
  const result = refund.result as { amount?: number | null } | null;
  if (refund.status === 'completed' && typeof result?.amount === 'number') return result.amount;
  const asked = refund.data.amount;
  return typeof asked === 'number' ? asked : paymentAmount;
}
