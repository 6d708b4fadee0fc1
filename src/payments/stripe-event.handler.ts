import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { PermanentJobError, TransientJobError } from '../job-definitions/job-errors';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { StripeEventPayload } from '../job-definitions/payloads/money.payloads';
import type { JobRecord } from '../persistence/job-record.entity';
import { JobRecords } from '../persistence/job-records';
import type { StripeEventOutcome, StripeEventRecord } from './stripe-event.entity';
import { factsOf, isReconciled, StripeEventFacts } from './stripe-event-facts';
import { StripeEvents } from './stripe-events';
import { RecordedJob, reconcile } from './stripe-reconciliation';

type StripeEventResult = { eventId: string; type: string; outcome: StripeEventOutcome; detail: string | null };

/**
 * Reconciles one stored Stripe event with the tenant's job records, records the outcome on
 * its `stripe_events` row and raises the tenant alert it calls for. Idempotent: an event
 * already settled is answered as it stands, and settling is conditional (see StripeEvents.settle).
 * An event about a job that has not finished yet is retried later (transient).
 */
@Injectable()
@HandlesJob('stripe-event')
export class StripeEventHandler implements JobHandler<'stripe-event', StripeEventResult> {
  constructor(
    private readonly events: StripeEvents,
    private readonly jobs: JobRecords,
  ) {}

  async execute(payload: StripeEventPayload, context: JobContext): Promise<StripeEventResult> {
    const row = await this.events.find(context.tenantId, payload.eventId);
    if (!row) throw new PermanentJobError('stripe_event_unknown', `No stored Stripe event ${payload.eventId} for this tenant`);
    if (row.processedAt) return resultOf(row, row.outcome, row.outcomeDetail);
    if (!isReconciled(row.type)) throw new PermanentJobError('stripe_event_not_reconciled', `Stripe events of type ${row.type} are not reconciled`);

    const facts = factsOf(row.payload as unknown as Stripe.Event);
    const payment = await this.paymentJobOf(context.tenantId, row, facts);
    const refunds = row.type === 'charge.refunded' && facts.paymentIntentId
      ? await this.jobs.findRefundsOfIntent(context.tenantId, facts.paymentIntentId)
      : [];
    const decision = reconcile(row.type, facts, payment && recorded(payment), refunds.map(recorded));
    if (!decision.settled) throw new TransientJobError('job_unfinished', `Not reconciled yet: ${decision.detail}`);

    const alert = decision.alert && {
      tenantId: context.tenantId,
      ...decision.alert,
      details: { stripeEventId: row.id, stripeEventType: row.type, paymentIntentId: facts.paymentIntentId, jobId: payment?.id ?? null, amount: facts.amount },
    };
    await this.events.settle(context.tenantId, row.id, decision.outcome, decision.detail, alert);
    const settled = await this.events.find(context.tenantId, row.id);
    return resultOf(row, settled?.outcome ?? decision.outcome, settled?.outcomeDetail ?? decision.detail);
  }

  /** The payment job the event names: by job id (metadata, or found by intent at intake), else by order. */
  private async paymentJobOf(tenantId: string, row: StripeEventRecord, facts: StripeEventFacts): Promise<JobRecord | null> {
    if (row.jobId) {
      const job = await this.jobs.find(tenantId, row.jobId);
      return job?.type === 'payment-process' ? job : null;
    }
    return facts.orderId ? this.jobs.findLatestPaymentForOrder(tenantId, facts.orderId) : null;
  }
}

function recorded(job: JobRecord): RecordedJob {
  const result = (job.result ?? {}) as { paymentIntentId?: unknown; status?: unknown; amount?: unknown };
  return {
    id: job.id,
    status: job.status,
    paymentIntentId: typeof result.paymentIntentId === 'string' ? result.paymentIntentId : null,
    paymentStatus: typeof result.status === 'string' ? result.status : null,
    amount: typeof result.amount === 'number' ? result.amount : null,
  };
}

function resultOf(row: StripeEventRecord, outcome: StripeEventOutcome, detail: string | null): StripeEventResult {
  return { eventId: row.id, type: row.type, outcome, detail };
}
