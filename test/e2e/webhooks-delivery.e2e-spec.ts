import { DataSource } from 'typeorm';
import type { JobEnvelope } from '../../src/job-definitions/job-envelope';
import { SystemSubmissions } from '../../src/jobs/system-submissions';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { DECLINED_PAYMENT, paymentJob, VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { createEndpoint, deliveriesOf, finishedFollowUpsOf, followUpOf, jobRows } from '../support/webhook-requests';
import { verifyWebhookSignature, WebhookReceiver } from '../support/webhook-receiver';

describe('Webhook deliveries: fan-out, signatures, retries and every attempt recorded', () => {
  let test: TestApp;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    test = await startTestApp({
      env: {
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        RETRY_STRATEGIES: JSON.stringify({ 'webhook-deliver': { attempts: 4, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } }),
      },
    });
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });
  afterAll(() => test.close());

  async function receiver(statuses?: number[]): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start(statuses);
    receivers.push(started);
    return started;
  }

  const submitEvent = (tenantId: string, event: string, body: Record<string, unknown>) =>
    test.app.get(SystemSubmissions).submit({ tenantId, origin: 'system', type: 'webhook-event', data: { event, body } });

  it('a payment with an endpoint subscribed gets one signed payment.completed delivery; an endpoint not subscribed gets none', async () => {
    const tenant = newTenant();
    const subscribed = await receiver();
    const other = await receiver();
    const endpoint = await createEndpoint(test, tenant.admin, subscribed, ['payment.completed']);
    await createEndpoint(test, tenant.admin, other, ['refund.completed', 'operation.failed']);

    const { body: payment } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
      .send(paymentJob({ orderId: 'ord_webhook' })).expect(201);
    const event = await followUpOf(test, payment.id, 'webhook-event');
    const deliveries = await finishedFollowUpsOf(test, event.id);

    expect(deliveries).toEqual([expect.objectContaining({ type: 'webhook-deliver', status: 'completed', attempts: 1 })]);
    expect(subscribed.accepted()).toHaveLength(1);
    expect(subscribed.received).toHaveLength(1);
    expect(other.connections).toBe(0);
    const [hook] = subscribed.received;
    expect(verifyWebhookSignature(endpoint.secret, hook.headers['x-webhook-signature'] as string, hook.rawBody)).toBe(true);
    expect(hook.headers).toMatchObject({ 'x-webhook-id': deliveries[0].id, 'x-webhook-event': 'payment.completed', 'content-type': 'application/json' });
    const { paymentIntentId } = (await waitForJobToFinish(test, tenant.user, payment.id)).result as { paymentIntentId: string };
    expect(hook.body).toEqual({
      id: event.id,
      event: 'payment.completed',
      data: { jobId: payment.id, orderId: 'ord_webhook', paymentIntentId, amount: 2500, currency: 'usd' },
    });
    const attempts = await deliveriesOf(test, tenant.admin, endpoint.id);
    expect(attempts).toMatchObject({ total: 1, items: [{ jobId: deliveries[0].id, event: 'payment.completed', attempt: 1, status: 'succeeded', responseCode: 200, error: null }] });
  });

  it('a payment no endpoint of the tenant wants is no webhook-event job; once one is subscribed, the next payment has its event', async () => {
    const tenant = newTenant();
    const other = await receiver();
    await createEndpoint(test, tenant.admin, other, ['refund.completed']);
    const eventsOf = async (paymentId: string) =>
      (await jobRows(test, `parent_job_id = $1 AND type = 'webhook-event'`, [paymentId])).length;

    const { body: unheard } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
      .send(paymentJob({ orderId: 'ord_unheard' })).expect(201);
    // Follow-ups commit with the completion: once the payment is completed, its events are written.
    expect(await waitForJobToFinish(test, tenant.user, unheard.id)).toMatchObject({ status: 'completed' });
    expect(await eventsOf(unheard.id)).toBe(0);

    const subscribed = await receiver();
    await createEndpoint(test, tenant.admin, subscribed, ['payment.completed']);
    const { body: heard } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
      .send(paymentJob({ orderId: 'ord_heard' })).expect(201);
    expect(await waitForJobToFinish(test, tenant.user, heard.id)).toMatchObject({ status: 'completed' });
    expect(await eventsOf(heard.id)).toBe(1);
    await waitFor(async () => (subscribed.accepted().length === 1 ? true : undefined), 10_000, 'the delivery');
    expect(other.connections).toBe(0);
  });

  it('a receiver that fails twice then succeeds: three attempts recorded (status, code, time) and one delivery accepted', async () => {
    const tenant = newTenant();
    const flaky = await receiver([500, 503, 200]);
    const endpoint = await createEndpoint(test, tenant.venueAdmin, flaky, ['refund.completed']);

    // A refund names a payment of the tenant: paid first (the sandbox of this process remembers it).
    const { body: payment } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob()).expect(201);
    const { paymentIntentId } = (await waitForJobToFinish(test, tenant.user, payment.id)).result as { paymentIntentId: string };
    const { body: refund } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.venueAdmin}`)
      .send({ type: 'refund-process', data: { ...VALID_PAYLOADS['refund-process'], paymentIntentId } }).expect(201);
    const event = await followUpOf(test, refund.id, 'webhook-event');
    const [delivery] = await finishedFollowUpsOf(test, event.id);

    expect(delivery).toMatchObject({ status: 'completed', attempts: 3, result: { event: 'refund.completed', endpointId: endpoint.id, statusCode: 200 } });
    expect(flaky.received.map((hook) => hook.answeredWith)).toEqual([500, 503, 200]);
    expect(flaky.received.every((hook) => hook.signatureValid && hook.headers['x-webhook-id'] === delivery.id)).toBe(true);
    expect(flaky.accepted()).toHaveLength(1);

    const { items, total } = await deliveriesOf(test, tenant.venueAdmin, endpoint.id);
    expect(total).toBe(3);
    expect(items).toMatchObject([
      { jobId: delivery.id, attempt: 3, status: 'succeeded', responseCode: 200, error: null },
      { jobId: delivery.id, attempt: 2, status: 'failed', responseCode: 503, error: 'webhook_unavailable: The receiver answered 503' },
      { jobId: delivery.id, attempt: 1, status: 'failed', responseCode: 500, error: 'webhook_unavailable: The receiver answered 500' },
    ]);
    const times = items.map((item) => Date.parse(item.attemptedAt as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(items.every((item) => typeof item.durationMs === 'number')).toBe(true);
  });

  it('a 4xx answer is permanent: one attempt recorded, the delivery dead-lettered, and no operation.failed about it', async () => {
    const tenant = newTenant();
    const refusing = await receiver([422]);
    const endpoint = await createEndpoint(test, tenant.admin, refusing, ['refund.completed', 'operation.failed']);

    const { jobId } = await submitEvent(tenant.tenantId, 'refund.completed', { refundId: 're_1' });
    const [delivery] = await finishedFollowUpsOf(test, jobId);

    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'webhook_rejected', permanent: true } });
    expect(refusing.received).toHaveLength(1);
    expect((await deliveriesOf(test, tenant.admin, endpoint.id)).items).toMatchObject([{ attempt: 1, status: 'failed', responseCode: 422 }]);
    // The record fails first, the dead-letter entry commits just after it.
    const entries = await waitFor(async () => {
      const rows = await test.app.get(DataSource).query(`SELECT job_id FROM dead_letter_jobs WHERE tenant_id = $1`, [tenant.tenantId]);
      return rows.length ? rows : undefined;
    }, 5_000, 'the dead-letter entry');
    expect(entries).toEqual([{ job_id: delivery.id }]);
    // The dead-letter entry and any event about it commit together: none was written.
    expect(await jobRows(test, 'parent_job_id = $1', [delivery.id])).toEqual([]);
  });

  it('a job dead-lettered for good produces an operation.failed delivery naming the job and its entry', async () => {
    const tenant = newTenant();
    const watcher = await receiver();
    const endpoint = await createEndpoint(test, tenant.admin, watcher, ['operation.failed']);

    const { body: payment } = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
      .send({ type: 'payment-process', data: DECLINED_PAYMENT }).expect(201);
    expect(await waitForJobToFinish(test, tenant.user, payment.id)).toMatchObject({ status: 'failed' });
    const event = await followUpOf(test, payment.id, 'webhook-event');
    const [delivery] = await finishedFollowUpsOf(test, event.id);

    expect(delivery).toMatchObject({ type: 'webhook-deliver', status: 'completed' });
    const [entry] = await test.app.get(DataSource).query(`SELECT id FROM dead_letter_jobs WHERE job_id = $1`, [payment.id]);
    expect(watcher.accepted().map((hook) => hook.body)).toEqual([{
      id: event.id,
      event: 'operation.failed',
      data: expect.objectContaining({ jobId: payment.id, type: 'payment-process', queue: 'money', errorType: 'card_declined', attempts: 1, deadLetterId: entry.id }),
    }]);
    expect((await deliveriesOf(test, tenant.admin, endpoint.id)).total).toBe(1);
  });

  it('a disabled endpoint gets no new deliveries, and one already queued ends without being sent', async () => {
    const tenant = newTenant();
    const silent = await receiver();
    const endpoint = await createEndpoint(test, tenant.admin, silent, ['nft.minted']);
    await test.http().patch(`/webhook-endpoints/${endpoint.id}`).set('Authorization', `Bearer ${tenant.admin}`).send({ enabled: false }).expect(200);

    const { jobId: eventId } = await submitEvent(tenant.tenantId, 'nft.minted', { ticketId: 'tkt_1' });
    expect(await finishedFollowUpsOf(test, eventId)).toEqual([]);
    expect((await jobRows(test, 'id = $1', [eventId]))[0].result).toEqual({ event: 'nft.minted', endpoints: 0 });

    const { jobId } = await test.app.get(SystemSubmissions).submit({
      tenantId: tenant.tenantId, origin: 'system', type: 'webhook-deliver',
      data: { endpointId: endpoint.id, event: 'nft.minted', eventId, body: {} },
    });
    expect(await waitForJobToFinish(test, tenant.admin, jobId)).toMatchObject({
      status: 'completed', result: { endpointId: endpoint.id, skipped: 'endpoint_disabled' },
    });
    expect(silent.connections).toBe(0);
    expect((await deliveriesOf(test, tenant.admin, endpoint.id)).total).toBe(0);
  });

  it('a rotated secret signs the next delivery; the old one no longer verifies', async () => {
    const tenant = newTenant();
    const target = await receiver();
    const endpoint = await createEndpoint(test, tenant.admin, target, ['nft.minted']);
    const { body: rotated } = await test.http().post(`/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set('Authorization', `Bearer ${tenant.admin}`).expect(200);
    expect(rotated.secret).not.toBe(endpoint.secret);
    target.secret = rotated.secret;

    const { jobId } = await submitEvent(tenant.tenantId, 'nft.minted', { ticketId: 'tkt_2' });
    await finishedFollowUpsOf(test, jobId);

    const [hook] = target.accepted();
    expect(hook).toBeDefined();
    expect(verifyWebhookSignature(endpoint.secret, hook.headers['x-webhook-signature'] as string, hook.rawBody)).toBe(false);
  });

  it('an event fanned out again (its job re-run after completing) still makes one delivery per endpoint', async () => {
    const tenant = newTenant();
    const target = await receiver();
    await createEndpoint(test, tenant.admin, target, ['payment.completed']);
    const { jobId } = await submitEvent(tenant.tenantId, 'payment.completed', { orderId: 'ord_rerun' });
    expect(await finishedFollowUpsOf(test, jobId)).toHaveLength(1);
    expect(target.accepted()).toHaveLength(1);

    // Provoke a re-run of the fan-out: its record reopened and its Bull job added again.
    const db = test.app.get(DataSource);
    const [{ fence }] = await db.query(`SELECT fence FROM jobs WHERE id = $1`, [jobId]);
    await db.query(`UPDATE jobs SET status = 'waiting', result = NULL, finished_at = NULL WHERE id = $1`, [jobId]);
    const queue = test.app.get(QueueRegistry).get('communication');
    const finished = await queue.getJob(jobId);
    const { data, opts } = finished!;
    await finished!.remove();
    await queue.add((data as JobEnvelope).type, data, { jobId, attempts: opts.attempts, backoff: opts.backoff });
    await waitFor(async () => {
      const [row] = await db.query(`SELECT status, fence FROM jobs WHERE id = $1`, [jobId]);
      return row.status === 'completed' && Number(row.fence) > Number(fence) ? true : undefined;
    }, 15_000, 'the fan-out to run again');

    expect(await finishedFollowUpsOf(test, jobId)).toHaveLength(1);
    expect(target.received).toHaveLength(1);
  });
});
