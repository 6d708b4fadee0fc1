import { Column, Entity, PrimaryColumn } from 'typeorm';

export const STRIPE_EVENT_OUTCOMES = ['pending', 'matched', 'mismatch', 'unrecorded', 'disputed', 'ignored'] as const;
/**
 * - `pending`: stored, its reconciliation job not yet done;
 * - `matched`: Stripe and the job records agree;
 * - `mismatch`: they contradict each other (a tenant alert was raised);
 * - `unrecorded`: Stripe reports what no job of ours did (a refund: a warning alert);
 * - `disputed`: a chargeback was opened (a critical alert);
 * - `ignored`: a type not reconciled, or no tenant of ours.
 */
export type StripeEventOutcome = (typeof STRIPE_EVENT_OUTCOMES)[number];

/** One event Stripe sent to `POST /webhooks/stripe` (table stripe_events), stored once per event id. */
@Entity({ name: 'stripe_events' })
export class StripeEventRecord {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  type: string;

  @Column('boolean')
  livemode: boolean;

  @Column('uuid', { name: 'tenant_id', nullable: true })
  tenantId: string | null;

  @Column('uuid', { name: 'job_id', nullable: true })
  jobId: string | null;

  @Column('text', { name: 'payment_intent_id', nullable: true })
  paymentIntentId: string | null;

  /** The event exactly as Stripe sent it. */
  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt: Date;

  @Column('timestamptz', { name: 'processed_at', nullable: true })
  processedAt: Date | null;

  @Column('text')
  outcome: StripeEventOutcome;

  @Column('text', { name: 'outcome_detail', nullable: true })
  outcomeDetail: string | null;
}
