import type Stripe from 'stripe';
import { factsOf, StripeEventFacts } from './stripe-event-facts';
import { RecordedJob, reconcile } from './stripe-reconciliation';

const TENANT = '3f6c1a8e-2b1d-4c55-9a0e-6f1f1c2d3e4f';
const JOB = '0b8e4c1a-7d2f-4e6a-9c3b-5a1d2e3f4a5b';

const facts = (overrides: Partial<StripeEventFacts> = {}): StripeEventFacts => ({
  eventId: 'evt_1', type: 'payment_intent.succeeded', livemode: false, tenantId: TENANT, jobId: JOB, orderId: 'ord_1',
  paymentIntentId: 'pi_1', objectId: 'pi_1', amount: 2500, reason: null, ...overrides,
});
const job = (status: string, overrides: Partial<RecordedJob> = {}): RecordedJob => ({
  id: JOB, status, paymentIntentId: 'pi_1', paymentStatus: status === 'completed' ? 'succeeded' : null, amount: null, ...overrides,
});

describe('factsOf (what reconciliation reads of a Stripe event)', () => {
  const event = (type: string, object: object) => ({ id: 'evt_1', type, livemode: true, data: { object } }) as unknown as Stripe.Event;

  it('reads the tenant, job and order from a payment intent\'s metadata, and its decline code', () => {
    const intent = { object: 'payment_intent', id: 'pi_1', amount: 900, metadata: { tenantId: TENANT.toUpperCase(), jobId: JOB, orderId: 'ord_9' }, last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' } };
    expect(factsOf(event('payment_intent.payment_failed', intent))).toEqual({
      eventId: 'evt_1', type: 'payment_intent.payment_failed', livemode: true, tenantId: TENANT, jobId: JOB, orderId: 'ord_9',
      paymentIntentId: 'pi_1', objectId: 'pi_1', amount: 900, reason: 'insufficient_funds',
    });
  });

  it('takes a charge\'s refunded total and a dispute\'s intent; a tenant id that is no UUID is no tenant', () => {
    expect(factsOf(event('charge.refunded', { object: 'charge', id: 'ch_1', amount: 2500, amount_refunded: 700, payment_intent: 'pi_2', metadata: { tenantId: 'venue-1' } })))
      .toMatchObject({ tenantId: null, paymentIntentId: 'pi_2', objectId: 'ch_1', amount: 700 });
    expect(factsOf(event('charge.dispute.created', { object: 'dispute', id: 'dp_1', amount: 2500, payment_intent: { id: 'pi_3' }, reason: 'fraudulent', metadata: {} })))
      .toMatchObject({ tenantId: null, paymentIntentId: 'pi_3', reason: 'fraudulent' });
  });
});

describe('reconcile (Stripe against the job records)', () => {
  it('payment_intent.succeeded: matched for the completed job, a critical mismatch for a failed one or another intent, later for a running one', () => {
    expect(reconcile('payment_intent.succeeded', facts(), job('completed'), [])).toMatchObject({ settled: true, outcome: 'matched' });
    expect(reconcile('payment_intent.succeeded', facts(), job('failed'), [])).toMatchObject({ outcome: 'mismatch', alert: { severity: 'critical', kind: 'payment.mismatch' } });
    expect(reconcile('payment_intent.succeeded', facts(), job('completed', { paymentIntentId: 'pi_other' }), [])).toMatchObject({ outcome: 'mismatch' });
    expect(reconcile('payment_intent.succeeded', facts(), job('active'), [])).toEqual({ settled: false, detail: expect.stringContaining('active') });
    expect(reconcile('payment_intent.succeeded', facts(), null, [])).toMatchObject({ outcome: 'unrecorded', alert: { severity: 'warning' } });
  });

  it('payment_intent.payment_failed: matched for a failed job or one that completed unpaid (requires_action); a mismatch for one that completed paid', () => {
    const failed = facts({ type: 'payment_intent.payment_failed', reason: 'generic_decline' });
    expect(reconcile('payment_intent.payment_failed', failed, job('failed', { paymentIntentId: null }), [])).toMatchObject({ outcome: 'matched' });
    expect(reconcile('payment_intent.payment_failed', failed, job('completed', { paymentStatus: 'requires_action' }), [])).toMatchObject({ outcome: 'matched' });
    expect(reconcile('payment_intent.payment_failed', failed, job('completed'), [])).toMatchObject({ outcome: 'mismatch', alert: { kind: 'payment.mismatch' } });
  });

  it('charge.refunded: matched when completed refund jobs cover the refunded total; a warning when they do not; a mismatch when the refund job failed', () => {
    const refunded = facts({ type: 'charge.refunded', amount: 1500 });
    const refund = (status: string, amount: number | null) => job(status, { id: `re-${status}-${amount}`, amount });
    expect(reconcile('charge.refunded', refunded, null, [refund('completed', 1000), refund('completed', 500)])).toMatchObject({ outcome: 'matched' });
    expect(reconcile('charge.refunded', refunded, null, [refund('completed', null)])).toMatchObject({ outcome: 'matched' });
    expect(reconcile('charge.refunded', refunded, null, [refund('completed', 1000)])).toMatchObject({ outcome: 'unrecorded', alert: { severity: 'warning', kind: 'payment.refund_unrecorded' } });
    expect(reconcile('charge.refunded', refunded, null, [])).toMatchObject({ outcome: 'unrecorded' });
    expect(reconcile('charge.refunded', refunded, null, [refund('failed', 1500)])).toMatchObject({ outcome: 'mismatch', alert: { severity: 'critical' } });
    expect(reconcile('charge.refunded', refunded, null, [refund('waiting', 1500)])).toMatchObject({ settled: false });
  });

  it('charge.dispute.created: always a critical payment.disputed alert', () => {
    const disputed = facts({ type: 'charge.dispute.created', objectId: 'dp_1', reason: 'fraudulent' });
    expect(reconcile('charge.dispute.created', disputed, null, [])).toMatchObject({
      outcome: 'disputed', alert: { severity: 'critical', kind: 'payment.disputed', message: expect.stringContaining('fraudulent') },
    });
  });
});
