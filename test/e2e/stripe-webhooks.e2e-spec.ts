import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import type { JobContext } from '../../src/job-definitions/job-handler';
import { providerKeyFor } from '../../src/job-definitions/provider-key';
import { StripeEventHandler } from '../../src/payments/stripe-event.handler';
import { StripeEvents } from '../../src/payments/stripe-events';
import { appsClosedAfterEach } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, paymentData } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

const SECRET = 'whsec_stripeHooksE2eSecret0123456789';
const TOLERANCE_SECONDS = 300;
const nowSeconds = () => Math.floor(Date.now() / 1000);

type Tenant = ReturnType<typeof newTenant>;
type EventObject = Record<string, unknown>;

/** A Stripe event as Stripe sends it (API version of the SDK in use). */
function stripeEvent(type: string, object: EventObject, id = `evt_${randomUUID().replace(/-/g, '')}`) {
  return { id, object: 'event', api_version: Stripe.API_VERSION, created: nowSeconds(), livemode: false, pending_webhooks: 1, type, data: { object } };
}

const ourMetadata = (tenant: Tenant, jobId: string, orderId = 'ord_1') => ({ tenantId: tenant.tenantId, jobId, orderId });

const paymentIntent = (id: string, metadata: Record<string, string>, extra: EventObject = {}) => ({
  id, object: 'payment_intent', amount: 2500, currency: 'usd', status: 'succeeded', metadata, ...extra,
});

const refundedCharge = (paymentIntentId: string, metadata: Record<string, string>, amountRefunded: number) => ({
  id: `ch_${randomUUID().slice(0, 12)}`, object: 'charge', amount: 2500, amount_refunded: amountRefunded, refunded: amountRefunded >= 2500,
  currency: 'usd', payment_intent: paymentIntentId, metadata,
});

/** Stripe's disputes carry none of the payment's metadata: the tenant is found through the intent. */
const dispute = (paymentIntentId: string) => ({
  id: `dp_${randomUUID().slice(0, 12)}`, object: 'dispute', amount: 2500, currency: 'usd', charge: `ch_${randomUUID().slice(0, 12)}`,
  payment_intent: paymentIntentId, reason: 'fraudulent', status: 'needs_response', metadata: {},
});

/** Signs a body as Stripe does: `t=<time>,v1=<HMAC-SHA256 of "t.body">`. */
function signatureFor(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, timestamp: options.timestamp ?? nowSeconds() });
}

function deliver(test: TestApp, payload: string, signature?: string) {
  const request = test.http().post('/webhooks/stripe').set('Content-Type', 'application/json');
  return (signature === undefined ? request : request.set('Stripe-Signature', signature)).send(payload);
}

/** Sends an event correctly signed, as Stripe does on each delivery attempt. */
function send(test: TestApp, event: object) {
  const payload = JSON.stringify(event);
  return deliver(test, payload, signatureFor(payload));
}

describe('POST /webhooks/stripe', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(() => test.close());
  const db = () => test.app.get(DataSource);

  const storedEvents = (eventId: string) =>
    db().query(`SELECT id, type, tenant_id, job_id, payment_intent_id, outcome, outcome_detail, processed_at FROM stripe_events WHERE id = $1`, [eventId]);
  const reconciliationJobs = (eventId: string) =>
    db().query(`SELECT id, tenant_id, queue, status, origin, created_by FROM jobs WHERE type = 'stripe-event' AND data->>'eventId' = $1`, [eventId]);
  /** The tenant's payment alerts (a declined payment also raises its own job.dead_lettered alert). */
  const alertsOf = (tenant: Tenant) =>
    db().query(
      `SELECT severity, kind, message, details FROM alert_history WHERE tenant_id = $1 AND kind LIKE 'payment.%' ORDER BY created_at`,
      [tenant.tenantId],
    );

  /** The event's row once its reconciliation job has settled it. */
  const settled = (eventId: string) =>
    waitFor(async () => {
      const [row] = await storedEvents(eventId);
      return row && row.outcome !== 'pending' ? row : undefined;
    }, 15_000, `Stripe event ${eventId} to be reconciled`);

  /** A payment run to its end in the sandbox: its job id and the payment intent its result records. */
  async function payment(tenant: Tenant, data = paymentData({ orderId: `ord_${randomUUID().slice(0, 8)}` })) {
    const { id } = await submitOk(test, tenant.user, 'payment-process', data);
    const job = await waitForJobToFinish(test, tenant.user, id);
    return { jobId: id, status: job.status, paymentIntentId: (job.result?.paymentIntentId as string | undefined) ?? `pi_${randomUUID().slice(0, 12)}` };
  }

  describe('signatures', () => {
    it('a good signature: 200, the event stored with its tenant and job, one stripe-event job (origin system) that reconciles it', async () => {
      const tenant = newTenant();
      const paid = await payment(tenant);
      expect(paid.status).toBe('completed');
      const event = stripeEvent('payment_intent.succeeded', paymentIntent(paid.paymentIntentId, ourMetadata(tenant, paid.jobId)));

      const response = await send(test, event).expect(200);
      expect(response.body).toEqual({ received: true, duplicate: false, outcome: 'pending' });
      const [job] = await reconciliationJobs(event.id);
      expect(job).toMatchObject({ tenant_id: tenant.tenantId, queue: 'money', origin: 'system', created_by: null });

      expect(await settled(event.id)).toMatchObject({
        type: 'payment_intent.succeeded', tenant_id: tenant.tenantId, job_id: paid.jobId, payment_intent_id: paid.paymentIntentId,
        outcome: 'matched', processed_at: expect.any(Date),
      });
      const view = await waitForJobToFinish(test, tenant.admin, job.id);
      expect(view).toMatchObject({ type: 'stripe-event', status: 'completed', origin: 'system', result: { eventId: event.id, outcome: 'matched' } });
      expect(await alertsOf(tenant)).toEqual([]);
    });

    it('a signature made with another secret, or over another body: 400 in the one error shape, nothing stored', async () => {
      const event = stripeEvent('payment_intent.succeeded', paymentIntent('pi_forged', ourMetadata(newTenant(), randomUUID())));
      const payload = JSON.stringify(event);
      const forged = await deliver(test, payload, signatureFor(payload, { secret: 'whsec_notTheEndpointSecret' })).expect(400);
      expectErrorBody(forged, 400, 'Bad Request');
      expect(forged.body.message).toBe('The Stripe-Signature header does not match the body');

      const tampered = JSON.stringify({ ...event, data: { object: { ...event.data.object, amount: 1 } } });
      const altered = await deliver(test, tampered, signatureFor(payload)).expect(400);
      expect(altered.body.message).toBe('The Stripe-Signature header does not match the body');

      const garbled = await deliver(test, payload, 'not-a-signature').expect(400);
      expect(garbled.body.message).toBe('The Stripe-Signature header does not match the body');
      expect(await storedEvents(event.id)).toEqual([]);
      expect(await reconciliationJobs(event.id)).toEqual([]);
      expect(JSON.stringify([forged.body, altered.body, garbled.body])).not.toContain(SECRET);
    });

    it('no Stripe-Signature header: 400, nothing stored', async () => {
      const event = stripeEvent('payment_intent.succeeded', paymentIntent('pi_unsigned', {}));
      const response = await deliver(test, JSON.stringify(event)).expect(400);
      expectErrorBody(response, 400, 'Bad Request');
      expect(response.body.message).toBe('Missing Stripe-Signature header');
      expect(await storedEvents(event.id)).toEqual([]);
    });

    it(`a signature older than Stripe's ${TOLERANCE_SECONDS} s tolerance is stale: 400, nothing stored; one inside it is taken`, async () => {
      const stale = stripeEvent('customer.created', { id: 'cus_stale', object: 'customer', metadata: {} });
      const stalePayload = JSON.stringify(stale);
      const response = await deliver(test, stalePayload, signatureFor(stalePayload, { timestamp: nowSeconds() - TOLERANCE_SECONDS - 5 })).expect(400);
      expectErrorBody(response, 400, 'Bad Request');
      expect(response.body.message).toBe(`The Stripe-Signature timestamp is older than ${TOLERANCE_SECONDS} s`);
      expect(await storedEvents(stale.id)).toEqual([]);

      const late = stripeEvent('customer.created', { id: 'cus_late', object: 'customer', metadata: {} });
      const latePayload = JSON.stringify(late);
      await deliver(test, latePayload, signatureFor(latePayload, { timestamp: nowSeconds() - TOLERANCE_SECONDS + 30 })).expect(200);
      expect(await storedEvents(late.id)).toHaveLength(1);
    });
  });

  describe('once per event id', () => {
    it('the same event delivered again (re-signed, as Stripe retries): 200, one row, one job, reconciled once', async () => {
      const tenant = newTenant();
      const paid = await payment(tenant);
      const event = stripeEvent('payment_intent.succeeded', paymentIntent(paid.paymentIntentId, ourMetadata(tenant, paid.jobId)));
      expect((await send(test, event).expect(200)).body).toMatchObject({ duplicate: false });
      await settled(event.id);

      const again = await send(test, event).expect(200);
      expect(again.body).toEqual({ received: true, duplicate: true, outcome: 'matched' });
      expect(await storedEvents(event.id)).toHaveLength(1);
      const jobs = await reconciliationJobs(event.id);
      expect(jobs).toHaveLength(1);
      expect(await db().query(`SELECT status, attempts FROM jobs WHERE id = $1`, [jobs[0].id])).toEqual([{ status: 'completed', attempts: 1 }]);
    });

    it('two deliveries of one event at the same moment: both 200, one stored, one job', async () => {
      const tenant = newTenant();
      const paid = await payment(tenant);
      const event = stripeEvent('payment_intent.succeeded', paymentIntent(paid.paymentIntentId, ourMetadata(tenant, paid.jobId)));
      const answers = await Promise.all([send(test, event), send(test, event)]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers.map((answer) => answer.body.duplicate).sort()).toEqual([false, true]);
      expect(await storedEvents(event.id)).toHaveLength(1);
      expect(await reconciliationJobs(event.id)).toHaveLength(1);
      expect(await settled(event.id)).toMatchObject({ outcome: 'matched' });
    });

    it('an event processed twice (a re-run, two runs at once) settles and alerts once', async () => {
      const tenant = newTenant();
      const declined = await payment(tenant, DECLINED_PAYMENT);
      const event = stripeEvent('payment_intent.succeeded', paymentIntent('pi_charged_anyway', ourMetadata(tenant, declined.jobId)));
      // Stored as the route stores it, but with no job: this test runs the handler itself.
      await test.app.get(StripeEvents).recordOnce({
        id: event.id, type: event.type, livemode: false, tenantId: tenant.tenantId, jobId: declined.jobId,
        paymentIntentId: 'pi_charged_anyway', payload: event, ignoredBecause: null,
      });
      const handler = test.app.get(StripeEventHandler);
      const context = handlerContext(tenant);
      const runs = await Promise.all([handler.execute({ eventId: event.id }, context), handler.execute({ eventId: event.id }, context)]);
      expect(runs.map((run) => run.outcome)).toEqual(['mismatch', 'mismatch']);
      await handler.execute({ eventId: event.id }, context);
      expect(await alertsOf(tenant)).toEqual([expect.objectContaining({ kind: 'payment.mismatch', severity: 'critical' })]);
    });
  });

  describe('reconciliation with the tenant\'s job records', () => {
    it('payment_intent.succeeded for a payment whose job failed: mismatch and a critical payment.mismatch alert', async () => {
      const tenant = newTenant();
      const declined = await payment(tenant, DECLINED_PAYMENT);
      expect(declined.status).toBe('failed');
      const event = stripeEvent('payment_intent.succeeded', paymentIntent('pi_succeeded_elsewhere', ourMetadata(tenant, declined.jobId)));
      await send(test, event).expect(200);

      expect(await settled(event.id)).toMatchObject({ outcome: 'mismatch', job_id: declined.jobId });
      expect(await alertsOf(tenant)).toEqual([
        expect.objectContaining({
          severity: 'critical', kind: 'payment.mismatch', message: expect.stringContaining(declined.jobId),
          details: expect.objectContaining({ stripeEventId: event.id, jobId: declined.jobId, paymentIntentId: 'pi_succeeded_elsewhere' }),
        }),
      ]);
    });

    it('payment_intent.payment_failed for a declined payment matches its failed job; for a completed one it is a mismatch', async () => {
      const tenant = newTenant();
      const declined = await payment(tenant, DECLINED_PAYMENT);
      const failure = { status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' } };
      const agrees = stripeEvent('payment_intent.payment_failed', paymentIntent('pi_declined', ourMetadata(tenant, declined.jobId), failure));
      await send(test, agrees).expect(200);
      expect(await settled(agrees.id)).toMatchObject({ outcome: 'matched' });
      expect(await alertsOf(tenant)).toEqual([]);

      const paid = await payment(tenant);
      const contradicts = stripeEvent('payment_intent.payment_failed', paymentIntent(paid.paymentIntentId, ourMetadata(tenant, paid.jobId), failure));
      await send(test, contradicts).expect(200);
      expect(await settled(contradicts.id)).toMatchObject({ outcome: 'mismatch' });
      expect(await alertsOf(tenant)).toEqual([
        expect.objectContaining({ severity: 'critical', kind: 'payment.mismatch', message: expect.stringContaining('generic_decline') }),
      ]);
    });

    it('charge.refunded with no refund job on record: a warning; once a refund job covers it, matched', async () => {
      const tenant = newTenant();
      const paid = await payment(tenant);
      const unrecorded = stripeEvent('charge.refunded', refundedCharge(paid.paymentIntentId, ourMetadata(tenant, paid.jobId), 1000));
      await send(test, unrecorded).expect(200);
      expect(await settled(unrecorded.id)).toMatchObject({ outcome: 'unrecorded', job_id: paid.jobId });
      expect(await alertsOf(tenant)).toEqual([expect.objectContaining({ severity: 'warning', kind: 'payment.refund_unrecorded' })]);

      const refund = await submitOk(test, tenant.venueAdmin, 'refund-process', { paymentIntentId: paid.paymentIntentId, orderId: 'ord_1', amount: 1000 });
      expect(await waitForJobToFinish(test, tenant.venueAdmin, refund.id)).toMatchObject({ status: 'completed' });
      const recorded = stripeEvent('charge.refunded', refundedCharge(paid.paymentIntentId, ourMetadata(tenant, paid.jobId), 1000));
      await send(test, recorded).expect(200);
      expect(await settled(recorded.id)).toMatchObject({ outcome: 'matched', outcome_detail: expect.stringContaining(refund.id) });
      expect(await alertsOf(tenant)).toHaveLength(1);
    });

    it('charge.dispute.created (no metadata of ours): the tenant found through the payment intent, a critical payment.disputed alert', async () => {
      const tenant = newTenant();
      const paid = await payment(tenant);
      const event = stripeEvent('charge.dispute.created', dispute(paid.paymentIntentId));
      await send(test, event).expect(200);

      expect(await settled(event.id)).toMatchObject({ outcome: 'disputed', tenant_id: tenant.tenantId, job_id: paid.jobId });
      expect(await alertsOf(tenant)).toEqual([
        expect.objectContaining({
          severity: 'critical', kind: 'payment.disputed', message: expect.stringContaining('fraudulent'),
          details: expect.objectContaining({ stripeEventId: event.id, paymentIntentId: paid.paymentIntentId, jobId: paid.jobId, amount: 2500 }),
        }),
      ]);
    });

    it('an event of no tenant of ours, and a type not reconciled, are stored as ignored with no job', async () => {
      const stranger = stripeEvent('charge.dispute.created', dispute('pi_never_ours'));
      expect((await send(test, stranger).expect(200)).body).toEqual({ received: true, duplicate: false, outcome: 'ignored' });
      const other = stripeEvent('customer.created', { id: 'cus_1', object: 'customer', metadata: { tenantId: newTenant().tenantId } });
      expect((await send(test, other).expect(200)).body).toMatchObject({ outcome: 'ignored' });
      for (const event of [stranger, other]) {
        expect(await storedEvents(event.id)).toEqual([expect.objectContaining({ tenant_id: null, outcome: 'ignored', processed_at: expect.any(Date) })]);
        expect(await reconciliationJobs(event.id)).toEqual([]);
      }
    });

    it('a tenant reads its own events only (row-level security)', async () => {
      const tenant = newTenant();
      const paid = await payment(tenant);
      const event = stripeEvent('payment_intent.succeeded', paymentIntent(paid.paymentIntentId, ourMetadata(tenant, paid.jobId)));
      await send(test, event).expect(200);
      const events = test.app.get(StripeEvents);
      expect(await events.find(tenant.tenantId, event.id)).toMatchObject({ id: event.id });
      expect(await events.find(newTenant().tenantId, event.id)).toBeNull();
    });
  });

  it('POST /jobs refuses the internal stripe-event type', async () => {
    const tenant = newTenant();
    const response = await test.http().post('/jobs').set(auth(tenant.admin)).send({ type: 'stripe-event', data: { eventId: 'evt_1' } }).expect(400);
    expect(response.body.details).toEqual([expect.objectContaining({ field: 'type' })]);
  });
});

describe('POST /webhooks/stripe without an endpoint secret', () => {
  const start = appsClosedAfterEach();

  it.each([
    ['no STRIPE_WEBHOOK_SECRET (the sandbox)', {}],
    ['Stripe disabled', { STRIPE_WEBHOOK_SECRET: SECRET, PROVIDERS_DISABLED: 'stripe' }],
  ])('%s: 503 in the one error shape, nothing stored', async (_case, env: Record<string, string>) => {
    const app = await start({ env });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('pi_off', {}));
    const payload = JSON.stringify(event);
    const response = await deliver(app, payload, signatureFor(payload)).expect(503);
    expectErrorBody(response, 503, 'Service Unavailable');
    expect(await app.app.get(DataSource).query(`SELECT 1 FROM stripe_events WHERE id = $1`, [event.id])).toEqual([]);
  });
});

/** What the runner would hand the handler; the handler reads only the tenant. */
function handlerContext(tenant: Tenant): JobContext {
  const jobId = randomUUID();
  return {
    jobId, tenantId: tenant.tenantId, attempt: 1, maxAttempts: 1,
    providerKey: (step) => providerKeyFor({ tenantId: tenant.tenantId, jobId }, step),
    reportProgress: async () => undefined,
    step: (_name, work) => work(),
    enqueue: async () => undefined,
  };
}
