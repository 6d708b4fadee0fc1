import { BadRequestException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type Stripe from 'stripe';
import { derivedJobId } from '../jobs/derived-id';
import { SystemSubmissions } from '../jobs/system-submissions';
import { JobRecords } from '../persistence/job-records';
import { factsOf, isReconciled, StripeEventFacts } from '../payments/stripe-event-facts';
import { StripeEvents } from '../payments/stripe-events';
import { WebhookSignatureError } from '../payments/payment.gateway';
import { StripeWebhookVerifier } from '../payments/stripe-webhook-verifier';
import type { StripeWebhookAck } from './stripe-webhook-ack.dto';

/**
 * `POST /webhooks/stripe` behind the controller: verify, store once, enqueue the
 * reconciliation, answer. Kept short because Stripe waits only seconds for the 2xx.
 */
@Injectable()
export class StripeWebhookIntake {
  constructor(
    private readonly verifier: StripeWebhookVerifier,
    private readonly events: StripeEvents,
    private readonly jobs: JobRecords,
    private readonly submissions: SystemSubmissions,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<StripeWebhookAck> {
    if (!this.verifier.enabled) {
      throw new ServiceUnavailableException('Inbound Stripe webhooks are not configured on this deployment (STRIPE_WEBHOOK_SECRET)');
    }
    const event = this.verified(rawBody, signature);
    const facts = factsOf(event);
    const owner = isReconciled(facts.type) ? await this.ownerOf(facts) : null;
    const { stored, row } = await this.events.recordOnce({
      id: facts.eventId,
      type: facts.type,
      livemode: facts.livemode,
      tenantId: owner?.tenantId ?? null,
      jobId: owner?.jobId ?? null,
      paymentIntentId: facts.paymentIntentId,
      payload: event as unknown as Record<string, unknown>,
      ignoredBecause: !isReconciled(facts.type) ? 'event type not reconciled' : owner ? null : 'no tenant of ours in the event',
    });
    // Also on a redelivery of an event still pending: a crash (or a Redis refusal) between the
    // store and the submission left it without its job. The derived id and key make it one job.
    if (row.outcome === 'pending' && row.tenantId) await this.submitReconciliation(row.tenantId, row.id);
    return { received: true, duplicate: !stored, outcome: row.outcome };
  }

  private verified(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    try {
      return this.verifier.verify(rawBody, signature);
    } catch (error) {
      if (error instanceof WebhookSignatureError) throw new BadRequestException(error.message);
      throw error;
    }
  }

  /**
   * The tenant (and payment job) an event belongs to: the object's metadata, written by
   * payment-process; else, for objects without our metadata (a dispute), the payment job
   * that recorded its payment intent.
   */
  private async ownerOf(facts: StripeEventFacts): Promise<{ tenantId: string; jobId: string | null } | null> {
    if (facts.tenantId) return { tenantId: facts.tenantId, jobId: facts.jobId };
    if (!facts.paymentIntentId) return null;
    const payment = await this.jobs.findPaymentByIntentAcrossTenants(facts.paymentIntentId);
    return payment && { tenantId: payment.tenantId, jobId: payment.id };
  }

  private async submitReconciliation(tenantId: string, eventId: string): Promise<void> {
    await this.submissions.submit({
      tenantId,
      origin: 'system',
      type: 'stripe-event',
      data: { eventId },
      options: { idempotencyKey: `stripe-event:${eventId}` },
      id: derivedJobId('stripe-event', eventId),
    });
  }
}
