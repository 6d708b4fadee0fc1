import type { AlertSeverity } from '../monitoring/alert-record.entity';
import type { StripeEventOutcome } from './stripe-event.entity';
import type { ReconciledStripeEvent, StripeEventFacts } from './stripe-event-facts';

/** What reconciliation reads of a job record (payment-process or refund-process). */
export interface RecordedJob {
  id: string;
  status: string;
  /** From the job's result (payments and refunds both record it). */
  paymentIntentId: string | null;
  /** The payment's status at Stripe when the job completed (`succeeded`, `processing`, `requires_action`). */
  paymentStatus: string | null;
  /** A refund's amount; null for a full refund. */
  amount: number | null;
}

export interface ReconciliationAlert {
  severity: AlertSeverity;
  kind: 'payment.mismatch' | 'payment.disputed' | 'payment.refund_unrecorded';
  message: string;
}

export type Reconciliation =
  | { settled: true; outcome: Exclude<StripeEventOutcome, 'pending' | 'ignored'>; detail: string; alert?: ReconciliationAlert }
  /** The job the event is about has not finished: look again later. */
  | { settled: false; detail: string };

const UNFINISHED = ['waiting', 'delayed', 'active'];
const FAILED = ['failed', 'cancelled'];

/** Compares Stripe's account of a payment with the tenant's job records. No I/O. */
export function reconcile(
  type: ReconciledStripeEvent,
  facts: StripeEventFacts,
  payment: RecordedJob | null,
  refunds: RecordedJob[],
): Reconciliation {
  switch (type) {
    case 'payment_intent.succeeded':
      return paymentSucceeded(facts, payment);
    case 'payment_intent.payment_failed':
      return paymentFailed(facts, payment);
    case 'charge.refunded':
      return chargeRefunded(facts, refunds);
    case 'charge.dispute.created':
      return {
        settled: true,
        outcome: 'disputed',
        detail: `dispute ${facts.objectId} opened (${facts.reason ?? 'no reason given'})`,
        alert: {
          severity: 'critical',
          kind: 'payment.disputed',
          message: `A customer disputed payment ${facts.paymentIntentId ?? '(unknown intent)'}${payment ? ` of job ${payment.id}` : ''}: ${facts.reason ?? 'no reason given'}; respond at Stripe before the deadline`,
        },
      };
  }
}

function paymentSucceeded(facts: StripeEventFacts, payment: RecordedJob | null): Reconciliation {
  if (!payment) {
    const message = `Stripe charged ${facts.paymentIntentId} for this tenant but no payment job is on record for it`;
    return { settled: true, outcome: 'unrecorded', detail: message, alert: { severity: 'warning', kind: 'payment.mismatch', message } };
  }
  if (UNFINISHED.includes(payment.status)) return { settled: false, detail: `payment job ${payment.id} is ${payment.status}` };
  if (FAILED.includes(payment.status)) {
    return mismatch(`Stripe charged ${facts.paymentIntentId} but payment job ${payment.id} is ${payment.status}`);
  }
  if (payment.paymentIntentId && payment.paymentIntentId !== facts.paymentIntentId) {
    return mismatch(`Stripe charged ${facts.paymentIntentId} but payment job ${payment.id} recorded ${payment.paymentIntentId}: a second charge?`);
  }
  return { settled: true, outcome: 'matched', detail: `payment job ${payment.id} completed` };
}

function paymentFailed(facts: StripeEventFacts, payment: RecordedJob | null): Reconciliation {
  if (!payment) return { settled: true, outcome: 'unrecorded', detail: 'no payment job on record for this intent' };
  if (UNFINISHED.includes(payment.status)) return { settled: false, detail: `payment job ${payment.id} is ${payment.status}` };
  const sameIntent = payment.paymentIntentId === null || payment.paymentIntentId === facts.paymentIntentId;
  if (payment.status === 'completed' && payment.paymentStatus === 'succeeded' && sameIntent) {
    return mismatch(`Stripe reports ${facts.paymentIntentId} failed (${facts.reason ?? 'no code'}) but payment job ${payment.id} completed as paid`);
  }
  return { settled: true, outcome: 'matched', detail: `payment job ${payment.id} is ${payment.status}` };
}

/**
 * Stripe's `amount_refunded` is the charge's running total: it is covered when the completed
 * refund jobs add up to it (a full refund, amount null, covers any total).
 */
function chargeRefunded(facts: StripeEventFacts, refunds: RecordedJob[]): Reconciliation {
  const unfinished = refunds.find((refund) => UNFINISHED.includes(refund.status));
  if (unfinished) return { settled: false, detail: `refund job ${unfinished.id} is ${unfinished.status}` };
  const completed = refunds.filter((refund) => refund.status === 'completed');
  const recordedTotal = completed.some((refund) => refund.amount === null)
    ? Infinity
    : completed.reduce((sum, refund) => sum + (refund.amount ?? 0), 0);
  if (completed.length && recordedTotal >= (facts.amount ?? 0)) {
    return { settled: true, outcome: 'matched', detail: `refund jobs ${completed.map((refund) => refund.id).join(', ')} completed` };
  }
  const failed = refunds.filter((refund) => FAILED.includes(refund.status));
  if (failed.length && !completed.length) {
    return mismatch(`Stripe refunded ${facts.paymentIntentId} but refund job ${failed[0].id} is ${failed[0].status}`);
  }
  const refunded = `${facts.amount ?? '?'} of ${facts.paymentIntentId ?? 'an unknown intent'}`;
  return {
    settled: true,
    outcome: 'unrecorded',
    detail: `refunded ${refunded} at Stripe; refund jobs on record cover ${completed.length ? recordedTotal : 0}`,
    alert: {
      severity: 'warning',
      kind: 'payment.refund_unrecorded',
      message: `Stripe refunded ${refunded} with no refund job on record for it (refunded outside this service?)`,
    },
  };
}

function mismatch(message: string): Reconciliation {
  return { settled: true, outcome: 'mismatch', detail: message, alert: { severity: 'critical', kind: 'payment.mismatch', message } };
}
