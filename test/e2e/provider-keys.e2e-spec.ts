import { randomUUID } from 'node:crypto';
import { providerKeyFor } from '../../src/job-definitions/provider-key';
import { submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { SmtpSink } from '../support/smtp-sink';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, TwilioFake } from '../support/twilio-fake';
import { waitForJobToFinish } from '../support/wait-for';

const RETRIES = JSON.stringify({ 'payment-process': { attempts: 3, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } });

/**
 * Every key sent to a provider comes from the tenant and the job, never from the client's
 * idempotencyKey: two tenants that pick the same key get their own PaymentIntents and
 * messages, and neither key shows at the provider. A re-run of a job sends its key again.
 */
describe('Provider keys are derived from the tenant and the job', () => {
  let stripe: StripeFake;
  let sink: SmtpSink;
  const twilio = new TwilioFake();
  let test: TestApp;

  beforeAll(async () => {
    stripe = await StripeFake.start();
    sink = await new SmtpSink().start();
    await twilio.start();
    test = await startTestApp({
      env: stripe.env({
        RETRY_STRATEGIES: RETRIES,
        SMTP_URL: sink.url,
        MAIL_FROM: 'Tickets <tickets@venue.example>',
        TWILIO_ACCOUNT_SID: TWILIO_SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM: TWILIO_NUMBER,
        TWILIO_API_BASE_URL: twilio.baseUrl,
      }),
    });
  });
  afterAll(async () => {
    await test?.close();
    await Promise.all([stripe?.close(), sink?.stop(), twilio.stop()]);
  });

  /** The same request with the same client key from two tenants, each run to completion. */
  async function fromTwoTenants(type: 'payment-process' | 'email-send' | 'sms-send', data: object, clientKey: string) {
    const tenants = [newTenant(), newTenant()];
    const jobs = [];
    for (const tenant of tenants) {
      const { id } = await submitOk(test, tenant.user, type, data, { idempotencyKey: clientKey });
      jobs.push(await waitForJobToFinish(test, tenant.user, id));
    }
    expect(jobs.map((job) => job.status)).toEqual(['completed', 'completed']);
    return { tenants, jobs };
  }

  it('Stripe: two tenants with one client key get two PaymentIntents, under keys that neither equal nor contain it', async () => {
    const orderId = `ord_shared_${randomUUID().slice(0, 8)}`;
    const clientKey = `checkout-${orderId}`;
    const { tenants, jobs } = await fromTwoTenants('payment-process', paymentData({ orderId }), clientKey);

    const intents = stripe.effects('intent_created', orderId);
    expect(intents).toHaveLength(2);
    expect(new Set(jobs.map((job) => job.result?.paymentIntentId))).toEqual(new Set(intents.map((intent) => intent.objectId)));
    const requests = stripe.requests.filter((request) => request.orderId === orderId && request.method === 'POST');
    expect(requests.map((request) => request.operation).sort()).toEqual(['payment_intents.confirm', 'payment_intents.confirm', 'payment_intents.create', 'payment_intents.create']);
    expect(requests.some((request) => request.replayed)).toBe(false);
    for (const { idempotencyKey } of requests) {
      expect(idempotencyKey).toEqual(expect.any(String));
      expect(idempotencyKey).not.toContain(clientKey);
    }
    // Each tenant's calls carry the keys of its own job: tenant, job id and step.
    const expected = tenants.flatMap((tenant, index) =>
      ['payment_intent_created', 'payment_intent_confirmed'].map((step) => providerKeyFor({ tenantId: tenant.tenantId, jobId: jobs[index].id }, step)),
    );
    expect(requests.map((request) => request.idempotencyKey).sort()).toEqual([...expected].sort());
  });

  it('Stripe: a re-run of one job sends the same key, and Stripe holds one PaymentIntent for it', async () => {
    const tenant = newTenant();
    const orderId = `ord_rerun_${randomUUID().slice(0, 8)}`;
    // A 500 in front of Stripe: nothing applied, the attempt fails and the job runs again.
    stripe.fail(500, { operations: ['payment_intents.create'], orderId });
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }), { idempotencyKey: `rerun-${orderId}` });
    const job = await waitForJobToFinish(test, tenant.user, id);

    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    const creates = stripe.requestsOf('payment_intents.create', orderId);
    expect(creates.map((request) => request.answered)).toEqual([500, 200]);
    expect(creates.map((request) => request.idempotencyKey)).toEqual([
      providerKeyFor({ tenantId: tenant.tenantId, jobId: id }, 'payment_intent_created'),
      providerKeyFor({ tenantId: tenant.tenantId, jobId: id }, 'payment_intent_created'),
    ]);
    expect(stripe.effects('intent_created', orderId)).toHaveLength(1);
  });

  it('SMTP: two tenants with one client key send two messages, with Message-IDs of their own that do not show the key', async () => {
    const to = `shared-${randomUUID().slice(0, 8)}@fans.example`;
    const clientKey = `receipt-${randomUUID()}`;
    const { jobs } = await fromTwoTenants('email-send', { to, subject: 'Your receipt', body: 'Thank you' }, clientKey);

    const mails = await sink.waitForMessages(to, 2);
    expect(mails).toHaveLength(2);
    const messageIds = mails.map((mail) => mail.parsed.messageId);
    expect(new Set(messageIds).size).toBe(2);
    expect(new Set(jobs.map((job) => job.result?.messageId))).toEqual(new Set(messageIds));
    for (const mail of mails) expect(mail.raw).not.toContain(clientKey);
  });

  it('Twilio: two tenants with one client key send two messages, and the key reaches Twilio nowhere', async () => {
    const to = '+14155550142';
    const clientKey = `otp-${randomUUID()}`;
    const before = twilio.raw.length;
    await fromTwoTenants('sms-send', { to, body: 'Your code is 123456' }, clientKey);

    expect(twilio.to(to)).toHaveLength(2);
    const received = twilio.raw.slice(before);
    expect(received).toHaveLength(2);
    for (const request of received) expect(JSON.stringify(request)).not.toContain(clientKey);
  });
});
