import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JOB_EVENTS, JobFailedEvent } from '../../src/job-definitions/job-events';
import { providerKeyFor } from '../../src/job-definitions/provider-key';
import { PaymentGateway, WebhookSignatureError } from '../../src/payments/payment.gateway';
import { STRIPE_API_VERSION } from '../../src/payments/stripe-payment.gateway';
import { submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { signedStripeEvent } from '../support/stripe-fake/stripe-events';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

const RETRIES = JSON.stringify({ 'payment-process': { attempts: 3, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } });
const TIMEOUT_MS = 1_500;

describe('Payments on the Stripe SDK, against the loopback Stripe fake', () => {
  let fake: StripeFake;
  let test: TestApp;
  /** Every failed attempt's classified error, by job. */
  const failures = new Map<string, JobFailedEvent['error'][]>();

  beforeAll(async () => {
    fake = await StripeFake.start();
    test = await startTestApp({ env: fake.env({ RETRY_STRATEGIES: RETRIES, STRIPE_TIMEOUT_MS: String(TIMEOUT_MS) }) });
    test.app.get(EventEmitter2).on(JOB_EVENTS.failed, (event: JobFailedEvent) => {
      failures.set(event.jobId, [...(failures.get(event.jobId) ?? []), event.error]);
    });
  });
  afterAll(async () => {
    await test?.close();
    await fake?.close();
  });
  afterEach(() => fake.clearFaults());

  const order = (name: string) => `ord_${name}_${randomUUID().slice(0, 8)}`;
  const query = (sql: string, params: unknown[]) => test.app.get(DataSource).query(sql, params);
  const followUpsOf = (jobId: string) => query(`SELECT type FROM jobs WHERE parent_job_id = $1 ORDER BY type`, [jobId]);
  const deadLetterOf = (jobId: string) =>
    waitFor(async () => (await query(`SELECT error_type, error_message, attempts FROM dead_letter_jobs WHERE job_id = $1`, [jobId]))[0], 10_000, 'the dead letter');

  it('charges through create and confirm, with keys derived from the tenant, the job and the step, on the pinned API version', async () => {
    const tenant = newTenant();
    const orderId = order('ok');
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId, customerEmail: 'fan@example.com' }));
    const job = await waitForJobToFinish(test, tenant.user, id);

    const [intent] = fake.effects('intent_created', orderId);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    expect(job.result).toEqual({ orderId, paymentIntentId: intent.objectId, status: 'succeeded', amount: 2500, currency: 'usd' });
    const [create] = fake.requestsOf('payment_intents.create', orderId);
    const [confirm] = fake.requestsOf('payment_intents.confirm', orderId);
    expect(create.params).toMatchObject({ amount: '2500', currency: 'usd', payment_method: 'pm_card_visa', metadata: { orderId, tenantId: tenant.tenantId, jobId: id } });
    const keyOf = (step: string) => providerKeyFor({ tenantId: tenant.tenantId, jobId: id }, step);
    expect(create.idempotencyKey).toBe(keyOf('payment_intent_created'));
    expect(confirm.idempotencyKey).toBe(keyOf('payment_intent_confirmed'));
    expect([create.apiVersion, confirm.apiVersion]).toEqual([STRIPE_API_VERSION, STRIPE_API_VERSION]);
    expect(fake.effects(undefined, orderId).map((effect) => effect.kind)).toEqual(['intent_created', 'intent_confirmed']);
    // The receipt, written with the completion; no payment.completed webhook event, since no
    // endpoint of the tenant wants one (webhooks-delivery covers a tenant that has one).
    expect(await waitFor(async () => ((await followUpsOf(id)).length ? followUpsOf(id) : undefined))).toEqual([{ type: 'email-send' }]);
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])('a decline (%s) is permanent: one attempt, Stripe decline code kept, dead-lettered', async (paymentMethodId, declineCode) => {
    const tenant = newTenant();
    const orderId = order('declined');
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId, paymentMethodId }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'card_declined', permanent: true } });
    expect(job.error?.message).toContain(`decline code: ${declineCode}`);
    expect(await deadLetterOf(id)).toMatchObject({ error_type: 'card_declined', attempts: 1 });
    expect(fake.requestsOf('payment_intents.confirm', orderId)).toHaveLength(1);
  });

  it('an intent that needs 3-D Secure completes as requires_action with Stripe next action, and sends no receipt', async () => {
    const tenant = newTenant();
    const orderId = order('3ds');
    const data = paymentData({ orderId, paymentMethodId: 'pm_card_authenticationRequired', customerEmail: 'fan@example.com' });
    const { id } = await submitOk(test, tenant.user, 'payment-process', data);
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    expect(job.result).toMatchObject({ orderId, status: 'requires_action', nextActionType: 'use_stripe_sdk' });
    expect(await followUpsOf(id)).toEqual([]);
  });

  it.each([
    ['a 500 on create', 500, 'payment_intents.create', 'provider_unavailable'],
    ['a 429 on create', 429, 'payment_intents.create', 'rate_limited'],
    ['a 500 on confirm', 500, 'payment_intents.confirm', 'provider_unavailable'],
  ] as const)('%s is transient: the retry succeeds with exactly one intent at Stripe', async (_name, status, operation, errorType) => {
    const tenant = newTenant();
    const orderId = order('flaky');
    const fault = fake.fail(status, { orderId, operations: [operation] });
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(fault.hits).toBe(1);
    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    expect(fake.effects('intent_created', orderId)).toHaveLength(1);
    expect(fake.effects('intent_confirmed', orderId)).toHaveLength(1);
    expect(job.result).toMatchObject({ paymentIntentId: fake.effects('intent_created', orderId)[0].objectId, status: 'succeeded' });
    expect(failures.get(id)).toEqual([expect.objectContaining({ type: errorType, permanent: false })]);
    expect(await query(`SELECT 1 FROM dead_letter_jobs WHERE job_id = $1`, [id])).toEqual([]);
  });

  it('a 500 on every attempt ends failed, transient, after the configured attempts', async () => {
    const tenant = newTenant();
    const orderId = order('down');
    fake.fail(500, { orderId, times: Infinity });
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'failed', attempts: 3, error: { type: 'provider_unavailable', permanent: false } });
    expect(fake.effects(undefined, orderId)).toEqual([]);
  });

  it('a slow answer past the SDK timeout is a transient provider_timeout; the retry charges once', async () => {
    const tenant = newTenant();
    const orderId = order('slow');
    fake.slow(TIMEOUT_MS + 1_000, { orderId, operations: ['payment_intents.create'] });
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
    const job = await waitForJobToFinish(test, tenant.user, id, 20_000);
    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    expect(failures.get(id)).toEqual([expect.objectContaining({ type: 'provider_timeout', permanent: false, message: expect.stringMatching(/timeout/i) })]);
    // The timed-out request reaches nothing: when its delay is over, its client is gone.
    const [timedOut] = fake.requestsOf('payment_intents.create', orderId);
    await waitFor(async () => (timedOut.answered === undefined ? undefined : true), 5_000, 'the slow request to end');
    expect(fake.requestsOf('payment_intents.create', orderId).map((request) => request.answered)).toEqual([0, 200]);
    expect(fake.effects('intent_created', orderId)).toHaveLength(1);
  });

  it('a dropped connection (twice: the SDK retries one by itself) is a transient network_error; the retry charges once', async () => {
    const tenant = newTenant();
    const orderId = order('dropped');
    fake.drop({ orderId, operations: ['payment_intents.create'], times: 2 });
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    expect(failures.get(id)).toEqual([expect.objectContaining({ type: 'network_error', permanent: false })]);
    expect(fake.requestsOf('payment_intents.create', orderId)).toHaveLength(3);
    expect(fake.effects('intent_created', orderId)).toHaveLength(1);
  });

  describe('duplicate submissions', () => {
    it('the same payment submitted twice is one job and one intent', async () => {
      const tenant = newTenant();
      const orderId = order('double');
      const first = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }));
      const again = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send({ type: 'payment-process', data: paymentData({ orderId }) }).expect(200);
      expect(again.body.id).toBe(first.id);
      await waitForJobToFinish(test, tenant.user, first.id);
      expect(fake.requestsOf('payment_intents.create', orderId)).toHaveLength(1);
      expect(fake.effects('intent_created', orderId)).toHaveLength(1);
    });

    it("two tenants using the same client key get a PaymentIntent each: the key at Stripe is never the client's alone", async () => {
      const [first, second] = [newTenant(), newTenant()];
      const orderId = order('shared_key');
      const options = { idempotencyKey: `checkout-${orderId}` };
      const jobs = [
        await submitOk(test, first.user, 'payment-process', paymentData({ orderId }), options),
        await submitOk(test, second.user, 'payment-process', paymentData({ orderId }), options),
      ];
      const results = [await waitForJobToFinish(test, first.user, jobs[0].id), await waitForJobToFinish(test, second.user, jobs[1].id)];
      expect(results.map((job) => job.status)).toEqual(['completed', 'completed']);
      const intents = fake.effects('intent_created', orderId);
      expect(intents).toHaveLength(2);
      expect(results.map((job) => job.result?.paymentIntentId).sort()).toEqual(intents.map((intent) => intent.objectId).sort());
      const keys = fake.requestsOf('payment_intents.create', orderId).map((request) => request.idempotencyKey);
      expect(new Set(keys).size).toBe(2);
      expect(keys).not.toContain(options.idempotencyKey);
    });
  });

  describe("the gateway's other calls", () => {
    const gateway = () => test.app.get(PaymentGateway);

    it('creates a customer and attaches a payment method, each replayed under its key', async () => {
      const key = `test-${randomUUID()}`;
      const customer = await gateway().createCustomer({ email: 'fan@example.com', metadata: { tenantId: 't1' } }, providerKeyFor({ tenantId: 't1', jobId: key }, 'customer'));
      expect(await gateway().createCustomer({ email: 'fan@example.com', metadata: { tenantId: 't1' } }, providerKeyFor({ tenantId: 't1', jobId: key }, 'customer'))).toEqual(customer);
      expect(fake.effects('customer_created').filter((effect) => effect.idempotencyKey === providerKeyFor({ tenantId: 't1', jobId: key }, 'customer'))).toHaveLength(1);
      const attached = await gateway().attachPaymentMethod('pm_card_visa', customer.customerId, providerKeyFor({ tenantId: 't1', jobId: key }, 'attach'));
      expect(attached).toEqual({ paymentMethodId: 'pm_card_visa', customerId: customer.customerId });
      expect(fake.requests.at(-1)?.replayed).toBe(false);
    });

    it('a key reused with other parameters is a permanent idempotency_error, never retried blindly', async () => {
      const key = providerKeyFor({ tenantId: 't1', jobId: randomUUID() }, 'customer');
      await gateway().createCustomer({ email: 'a@example.com' }, key);
      await expect(gateway().createCustomer({ email: 'b@example.com' }, key)).rejects.toMatchObject({ code: 'idempotency_error', permanent: true });
    });

    it('retrieves and cancels an intent', async () => {
      const key = `test-${randomUUID()}`;
      const created = await gateway().createPaymentIntent({ amount: 700, currency: 'eur', paymentMethodId: 'pm_card_visa' }, providerKeyFor({ tenantId: 't1', jobId: key }, 'create'));
      expect(await gateway().getPaymentIntent(created.paymentIntentId)).toEqual({ ...created, status: 'requires_confirmation' });
      expect(await gateway().cancelPaymentIntent(created.paymentIntentId, providerKeyFor({ tenantId: 't1', jobId: key }, 'cancel'))).toMatchObject({ status: 'canceled' });
      await expect(gateway().getPaymentIntent('pi_missing')).rejects.toMatchObject({ code: 'resource_missing', permanent: true });
    });

    it('verifies a Stripe-Signature with the endpoint secret and a 300 s tolerance', () => {
      const secret = fake.env().STRIPE_WEBHOOK_SECRET;
      const good = signedStripeEvent('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' }, { secret });
      expect(gateway().verifyWebhookSignature(good.payload, good.signature)).toMatchObject({ id: good.id, type: 'payment_intent.succeeded' });
      const stale = signedStripeEvent('payment_intent.succeeded', { id: 'pi_1' }, { secret, timestamp: Math.floor(Date.now() / 1000) - 301 });
      const wrong = signedStripeEvent('payment_intent.succeeded', { id: 'pi_1' }, { secret: 'whsec_other' });
      expect(() => gateway().verifyWebhookSignature(stale.payload, stale.signature)).toThrow(WebhookSignatureError);
      expect(() => gateway().verifyWebhookSignature(wrong.payload, wrong.signature)).toThrow(WebhookSignatureError);
      expect(() => gateway().verifyWebhookSignature(good.payload.replace('pi_1', 'pi_2'), good.signature)).toThrow(WebhookSignatureError);
      expect(() => gateway().verifyWebhookSignature(good.payload, undefined)).toThrow(WebhookSignatureError);
    });
  });
});
