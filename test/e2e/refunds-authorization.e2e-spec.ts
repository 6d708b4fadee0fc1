import { randomUUID } from 'node:crypto';
import { PaymentGateway } from '../../src/payments/payment.gateway';
import { providerKeyFor } from '../../src/job-definitions/provider-key';
import { expectErrorBody } from '../support/error-body';
import { auth, submit, submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';

type Tenant = ReturnType<typeof newTenant>;

/**
 * A refund names a payment of this tenant and takes no more than is left of it: checked
 * against the tenant's records at submission (422 naming the field), and against Stripe's
 * intent (metadata, received and refunded amounts) when the job runs, before anything is
 * refunded.
 */
describe('Refunds only of this tenant\'s payments, and no more than is left', () => {
  let stripe: StripeFake;
  let test: TestApp;

  beforeAll(async () => {
    stripe = await StripeFake.start();
    test = await startTestApp({ env: stripe.env() });
  });
  afterAll(async () => {
    await test?.close();
    await stripe?.close();
  });

  /** A payment of 2500 completed at the fake for the tenant. */
  async function paid(tenant: Tenant) {
    const orderId = `ord_${randomUUID().slice(0, 8)}`;
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job.status).toBe('completed');
    return { orderId, paymentIntentId: String(job.result?.paymentIntentId) };
  }

  const refundJob = (data: object, options?: object) => ({ type: 'refund-process', data, ...(options ? { options } : {}) });
  const refunded = (paymentIntentId: string) => stripe.state.intents.get(paymentIntentId)?.refunded;

  async function refundToEnd(tenant: Tenant, data: object, options?: object) {
    const response = await submit(test, tenant.venueAdmin, refundJob(data, options)).expect(201);
    return waitForJobToFinish(test, tenant.venueAdmin, response.body.id);
  }

  it("tenant B refunding tenant A's intent: refused for good before any refund, nothing refunded at Stripe", async () => {
    const [a, b] = [newTenant(), newTenant()];
    const payment = await paid(a);

    // B's records know nothing of the intent, so the job runs, and reads the intent from Stripe first.
    const job = await refundToEnd(b, { ...payment, amount: 1000 });
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'refund_not_this_tenant', permanent: true } });
    expect(job.error?.message).not.toContain(a.tenantId);
    expect(stripe.requestsOf('refunds.create', payment.orderId)).toEqual([]);
    expect(refunded(payment.paymentIntentId)).toBe(0);
    // A's own refund of it is untouched by B's attempt.
    expect(await refundToEnd(a, { ...payment, amount: 1000 })).toMatchObject({ status: 'completed', result: { amount: 1000 } });
  });

  it('an intent whose metadata names no tenant of ours (made outside this service) is refused the same way', async () => {
    const tenant = newTenant();
    const gateway = test.app.get(PaymentGateway);
    const key = (step: string) => providerKeyFor({ tenantId: 'outside', jobId: randomUUID() }, step);
    const intent = await gateway.createPaymentIntent({ amount: 900, currency: 'usd', paymentMethodId: 'pm_card_visa' }, key('create'));
    await gateway.confirmPaymentIntent(intent.paymentIntentId, key('confirm'));

    const job = await refundToEnd(tenant, { paymentIntentId: intent.paymentIntentId, orderId: 'ord_outside' });
    expect(job).toMatchObject({ status: 'failed', error: { type: 'refund_not_this_tenant', permanent: true } });
    expect(refunded(intent.paymentIntentId)).toBe(0);
  });

  it('a partial refund, then a second within what is left: both accepted and refunded', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    expect(await refundToEnd(tenant, { ...payment, amount: 1000 })).toMatchObject({ status: 'completed', result: { amount: 1000 } });
    expect(await refundToEnd(tenant, { ...payment, amount: 1500 })).toMatchObject({ status: 'completed', result: { amount: 1500 } });
    expect(refunded(payment.paymentIntentId)).toBe(2500);
    // Nothing is left: a full refund (no amount) is refused naming the intent.
    const full = await submit(test, tenant.venueAdmin, refundJob(payment));
    expectErrorBody(full, 422, 'Unprocessable Entity');
    expect(full.body.details).toEqual([{ field: 'data.paymentIntentId', message: expect.stringContaining('nothing left to refund') }]);
  });

  it('an over-refund is refused at submission with 422 naming data.amount, counting refunds still in flight; nothing refunded', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    expect(await refundToEnd(tenant, { ...payment, amount: 1000 })).toMatchObject({ status: 'completed' });
    // In flight: delayed, not yet at Stripe, but it counts. (Another reason: the same data again would be the same job.)
    const { body: pending } = await submit(test, tenant.venueAdmin, refundJob({ ...payment, amount: 1000, reason: 'duplicate' }, { delay: 60_000 })).expect(201);
    try {
      const over = await submit(test, tenant.venueAdmin, refundJob({ ...payment, amount: 501 }));
      expectErrorBody(over, 422, 'Unprocessable Entity');
      expect(over.body.details).toEqual([{ field: 'data.amount', message: expect.stringContaining('exceeds the 500 left to refund') }]);
      // Two refunds of one batch add up.
      const batch = await test.http().post('/jobs/batch').set(auth(tenant.venueAdmin)).send({
        jobs: [refundJob({ ...payment, amount: 300 }), refundJob({ ...payment, amount: 300 })],
      });
      expectErrorBody(batch, 422, 'Unprocessable Entity');
      expect(batch.body.details).toEqual([{ field: 'jobs.1.data.amount', message: expect.stringContaining('exceeds the 200 left') }]);
      expect(stripe.requestsOf('refunds.create', payment.orderId)).toHaveLength(1);
      expect(refunded(payment.paymentIntentId)).toBe(1000);
    } finally {
      await test.http().delete(`/jobs/${pending.id}`).set(auth(tenant.venueAdmin)).expect(200);
    }
    // Cancelled, it no longer counts.
    expect(await refundToEnd(tenant, { ...payment, amount: 1500 })).toMatchObject({ status: 'completed', result: { amount: 1500 } });
  });

  it('a replay of an accepted refund (same idempotency key) answers with its job, not with 422', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    const options = { idempotencyKey: `refund-${payment.orderId}` };
    const first = await refundToEnd(tenant, payment, options);
    expect(first).toMatchObject({ status: 'completed', result: { amount: 2500 } });
    const replay = await submit(test, tenant.venueAdmin, refundJob(payment, options)).expect(200);
    expect(replay.body.id).toBe(first.id);
    expect(stripe.requestsOf('refunds.create', payment.orderId)).toHaveLength(1);
  });

  it('a payment of this tenant that has not succeeded (3-D Secure pending) has nothing to refund: 422 naming data.paymentIntentId', async () => {
    const tenant = newTenant();
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: `ord_3ds_${randomUUID().slice(0, 8)}`, paymentMethodId: 'pm_card_authenticationRequired' }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'completed', result: { status: 'requires_action' } });
    const response = await submit(test, tenant.venueAdmin, refundJob({ paymentIntentId: job.result?.paymentIntentId, orderId: 'ord_3ds' }));
    expectErrorBody(response, 422, 'Unprocessable Entity');
    expect(response.body.details).toEqual([{ field: 'data.paymentIntentId', message: expect.stringContaining('has not succeeded (requires_action)') }]);
  });
});
