import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { expectErrorBody } from '../support/error-body';
import { submit, submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

const RETRIES = JSON.stringify({ 'refund-process': { attempts: 3, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } });

describe('Refunds on the Stripe SDK, against the loopback Stripe fake', () => {
  let fake: StripeFake;
  let test: TestApp;

  beforeAll(async () => {
    fake = await StripeFake.start();
    test = await startTestApp({ env: fake.env({ RETRY_STRATEGIES: RETRIES }) });
  });
  afterAll(async () => {
    await test?.close();
    await fake?.close();
  });

  /** A payment of 2500 that completed at the fake: its order and intent. */
  async function paid(tenant: ReturnType<typeof newTenant>) {
    const orderId = `ord_paid_${randomUUID().slice(0, 8)}`;
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job.status).toBe('completed');
    return { orderId, paymentIntentId: String(job.result?.paymentIntentId) };
  }

  async function refund(tenant: ReturnType<typeof newTenant>, data: object) {
    const { id } = await submitOk(test, tenant.venueAdmin, 'refund-process', data);
    return { id, job: await waitForJobToFinish(test, tenant.venueAdmin, id) };
  }

  /** The payment's record gone (a cleanup of job records): only Stripe's account of the intent bounds a refund now. */
  const forgetPayment = (paymentIntentId: string) =>
    test.app.get(DataSource).query(`DELETE FROM jobs WHERE type = 'payment-process' AND result->>'paymentIntentId' = $1`, [paymentIntentId]);

  it('a full refund (no amount) refunds what was charged and enqueues its confirmation e-mail', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    const { id, job } = await refund(tenant, { ...payment, customerEmail: 'fan@example.com' });
    const [effect] = fake.effects('refund_created', payment.orderId);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    expect(job.result).toEqual({ ...payment, refundId: effect.objectId, status: 'succeeded', amount: 2500 });
    const followUps = await waitFor(async () => {
      const rows = await test.app.get(DataSource).query(`SELECT type FROM jobs WHERE parent_job_id = $1 ORDER BY type`, [id]);
      return rows.length ? rows : undefined;
    });
    // No refund.completed webhook event: no endpoint of the tenant wants one.
    expect(followUps).toEqual([{ type: 'email-send' }]);
  });

  it('partial refunds add up to the charge; one more than is left is refused at submission (422 naming data.amount), nothing refunded', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    expect((await refund(tenant, { ...payment, amount: 1000 })).job).toMatchObject({ status: 'completed', result: { amount: 1000 } });
    expect((await refund(tenant, { ...payment, amount: 1000, reason: 'duplicate' })).job).toMatchObject({ status: 'completed', result: { amount: 1000 } });
    const over = await submit(test, tenant.venueAdmin, { type: 'refund-process', data: { ...payment, amount: 501 } });
    expectErrorBody(over, 422, 'Unprocessable Entity');
    expect(over.body.details).toEqual([{ field: 'data.amount', message: expect.stringContaining('exceeds the 500 left') }]);
    expect(fake.effects('refund_created', payment.orderId).length).toBe(2);
    expect((await refund(tenant, { ...payment, amount: 500 })).job).toMatchObject({ status: 'completed', result: { amount: 500 } });
  });

  it('a refund over the charged amount of a payment no longer on record fails for good on its first attempt and is dead-lettered', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    await forgetPayment(payment.paymentIntentId);
    const { id, job } = await refund(tenant, { ...payment, amount: 2501 });
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'amount_too_large', permanent: true } });
    expect(job.error?.message).toContain('greater than the 2500 left');
    const [entry] = await waitFor(async () => {
      const rows = await test.app.get(DataSource).query(`SELECT error_type, attempts FROM dead_letter_jobs WHERE job_id = $1`, [id]);
      return rows.length ? rows : undefined;
    });
    expect(entry).toEqual({ error_type: 'amount_too_large', attempts: 1 });
    // The handler's check against Stripe's figures refused it: no refund was even asked for.
    expect(fake.requestsOf('refunds.create', payment.orderId)).toEqual([]);
  });

  it('a refund of an intent Stripe does not know is permanent (resource_missing)', async () => {
    const tenant = newTenant();
    const { job } = await refund(tenant, { paymentIntentId: 'pi_unknown', orderId: 'ord_unknown' });
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'resource_missing', permanent: true } });
  });

  it('a transient 500 on the refund is retried under the same key: one refund', async () => {
    const tenant = newTenant();
    const payment = await paid(tenant);
    fake.fail(500, { operations: ['refunds.create'], orderId: payment.orderId });
    const { job } = await refund(tenant, payment);
    expect(job).toMatchObject({ status: 'completed', attempts: 2, result: { amount: 2500 } });
    const keys = fake.requestsOf('refunds.create', payment.orderId).map((request) => request.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(fake.effects('refund_created', payment.orderId)).toHaveLength(1);
  });
});
