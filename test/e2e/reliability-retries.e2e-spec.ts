import { DataSource } from 'typeorm';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { paymentJob, VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

describe('Retries, dead letters and idempotency', () => {
  let test: TestApp;
  let stripe: StripeFake;
  /** A Stripe answer slower than this is a timeout of the SDK (a transient `provider_timeout`). */
  const STRIPE_TIMEOUT_MS = 1_000;

  beforeAll(async () => {
    stripe = await StripeFake.start();
    test = await startTestApp({
      env: stripe.env({
        STRIPE_TIMEOUT_MS: String(STRIPE_TIMEOUT_MS),
        RETRY_STRATEGIES: JSON.stringify({ 'payment-process': { attempts: 3, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } }),
      }),
    });
  });
  afterAll(async () => {
    await test?.close();
    await stripe?.close();
  });
  afterEach(() => stripe.clearFaults());
  const createCalls = (orderId?: string) => stripe.requestsOf('payment_intents.create', orderId).length;

  const query = (sql: string, params: unknown[]) => test.app.get(DataSource).query(sql, params);
  const submit = (token: string, body: object) => test.http().post('/jobs').set('Authorization', `Bearer ${token}`).send(body);

  it('dead-letters a permanent failure after one attempt, with an alert', async () => {
    const tenant = newTenant();
    const { body } = await submit(tenant.user, paymentJob({ paymentMethodId: 'pm_card_chargeDeclined' })).expect(201);
    const job = await waitForJobToFinish(test, tenant.user, body.id);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'card_declined', permanent: true } });
    const [entry] = await waitFor(async () => {
      const rows = await query(`SELECT * FROM dead_letter_jobs WHERE job_id = $1`, [body.id]);
      return rows.length ? rows : undefined;
    });
    expect(entry).toMatchObject({ tenant_id: tenant.tenantId, queue: 'money', type: 'payment-process', error_type: 'card_declined', attempts: 1 });
    expect(entry.idempotency_key).toMatch(/^auto:/);
    // The alert is written right after the entry, in a transaction of its own.
    const alerts = await waitFor(async () => {
      const rows = await query(`SELECT kind FROM alert_history WHERE tenant_id = $1`, [tenant.tenantId]);
      return rows.length ? rows : undefined;
    });
    expect(alerts).toEqual([{ kind: 'job.dead_lettered' }]);
  });

  it('retries a transient failure exactly the configured number of times, then dead-letters it', async () => {
    const tenant = newTenant();
    stripe.slow(STRIPE_TIMEOUT_MS + 500, { orderId: 'ord_flaky', operations: ['payment_intents.create'], times: Infinity });
    const callsBefore = createCalls('ord_flaky');
    const { body } = await submit(tenant.user, paymentJob({ description: 'flaky', orderId: 'ord_flaky' })).expect(201);
    const job = await waitForJobToFinish(test, tenant.user, body.id);
    expect(job).toMatchObject({ status: 'failed', attempts: 3, error: { type: 'provider_timeout', permanent: false } });
    expect(createCalls('ord_flaky') - callsBefore).toBe(3);
    const [entry] = await waitFor(async () => {
      const rows = await query(`SELECT attempts, first_failed_at, last_failed_at FROM dead_letter_jobs WHERE job_id = $1`, [body.id]);
      return rows.length ? rows : undefined;
    });
    expect(entry.attempts).toBe(3);
    expect(new Date(entry.first_failed_at).getTime()).toBeLessThan(new Date(entry.last_failed_at).getTime());
  });

  it('a job that succeeds on its second attempt is not dead-lettered', async () => {
    const tenant = newTenant();
    stripe.slow(STRIPE_TIMEOUT_MS + 500, { orderId: 'ord_once', operations: ['payment_intents.create'] });
    const { body } = await submit(tenant.user, paymentJob({ description: 'once', orderId: 'ord_once' })).expect(201);
    expect(await waitForJobToFinish(test, tenant.user, body.id)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await query(`SELECT 1 FROM dead_letter_jobs WHERE job_id = $1`, [body.id])).toEqual([]);
  });

  it('gives 50 concurrent submissions with one key one job and one provider call', async () => {
    const tenant = newTenant();
    const before = createCalls();
    const body = { ...paymentJob({ orderId: 'ord_concurrent' }), options: { idempotencyKey: 'ord_concurrent-pay' } };
    const responses = await Promise.all(Array.from({ length: 50 }, () => submit(tenant.user, body)));
    const ids = new Set(responses.map((response) => response.body.id));
    expect(ids.size).toBe(1);
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(49);
    await waitForJobToFinish(test, tenant.user, [...ids][0]);
    expect(createCalls() - before).toBe(1);
    // Payments only (follow-ups, had it any, are of other types).
    expect(await query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND type = 'payment-process'`, [tenant.tenantId])).toEqual([{ n: 1 }]);
  });

  it('answers 422 for a key reused with another payload, and keys are per tenant', async () => {
    const [first, second] = [newTenant(), newTenant()];
    const options = { idempotencyKey: 'order-7' };
    const original = await submit(first.user, { ...paymentJob({ orderId: 'ord_7' }), options }).expect(201);
    const conflict = await submit(first.user, { ...paymentJob({ orderId: 'ord_7', amount: 9_999 }), options }).expect(422);
    expect(conflict.body.details).toEqual([{ field: 'options.idempotencyKey', message: 'idempotencyKey was already used with a different request' }]);
    const otherTenant = await submit(second.user, { ...paymentJob({ orderId: 'ord_7' }), options }).expect(201);
    expect(otherTenant.body.id).not.toBe(original.body.id);
  });

  it('treats the same money payload without a key as the same job (a double click is one charge)', async () => {
    const tenant = newTenant();
    const first = await submit(tenant.user, paymentJob({ orderId: 'ord_double' })).expect(201);
    const again = await submit(tenant.user, paymentJob({ orderId: 'ord_double' })).expect(200);
    expect(again.body.id).toBe(first.body.id);
    const email = { type: 'email-send', data: VALID_PAYLOADS['email-send'] };
    const mails = [await submit(tenant.user, email).expect(201), await submit(tenant.user, email).expect(201)];
    expect(mails[0].body.id).not.toBe(mails[1].body.id);
  });

  it('returns the stored result in the worker when the key already completed, without running the handler again', async () => {
    const tenant = newTenant();
    const analytics = { type: 'analytics-process', data: { event: 'gate.opened' }, options: { idempotencyKey: 'gate-1' } };
    const { body } = await submit(tenant.admin, analytics).expect(201);
    const first = await waitForJobToFinish(test, tenant.admin, body.id);
    expect(first.result).toMatchObject({ count: 1 });
    // Force a second delivery of the same job (as a duplicate delivery would).
    const { JobsService } = await import('../../src/jobs/jobs.service');
    await test.app.get(JobsService).requeue({ tenantId: tenant.tenantId, jobId: body.id, type: 'analytics-process', data: { event: 'gate.opened' } });
    const second = await waitFor(async () => {
      const job = await waitForJobToFinish(test, tenant.admin, body.id);
      return job.finishedAt !== first.finishedAt ? job : undefined;
    });
    expect(second.result).toEqual(first.result);
  });
});
