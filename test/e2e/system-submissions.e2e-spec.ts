import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TenantScope } from '../../src/database/tenant-scope';
import { SystemSubmissions } from '../../src/jobs/system-submissions';
import { AlertsService } from '../../src/monitoring/alerts.service';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { WebhookReceiver } from '../support/webhook-receiver';

describe('System submissions, internal job types and schedule ticks', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await startTestApp({
      env: {
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        RETRY_STRATEGIES: JSON.stringify({ 'webhook-deliver': { attempts: 3, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } }),
      },
    });
  });
  afterAll(() => test.close());
  const db = () => test.app.get(DataSource);

  /** An endpoint of the tenant on the receiver, subscribed to every event; the receiver learns its secret. */
  async function endpointOn(receiver: WebhookReceiver, token: string): Promise<string> {
    const { body } = await test.http().post('/webhook-endpoints').set('Authorization', `Bearer ${token}`)
      .send({ url: receiver.url(), events: ['payment.completed', 'refund.completed'] }).expect(201);
    receiver.secret = body.secret;
    return body.id;
  }
  const deliveryData = (endpointId: string, event: string, body: Record<string, unknown>) => ({ endpointId, event, eventId: randomUUID(), body });

  it('POST /jobs and POST /jobs/batch refuse an internal type as they refuse an unknown one', async () => {
    const tenant = newTenant();
    const body = { type: 'webhook-deliver', data: deliveryData(randomUUID(), 'payment.completed', {}) };
    const single = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.admin}`).send(body).expect(400);
    expect(single.body.details).toEqual([expect.objectContaining({ field: 'type' })]);
    expect(single.body.details[0].message).not.toContain('webhook-deliver');
    const batch = await test.http().post('/jobs/batch').set('Authorization', `Bearer ${tenant.admin}`)
      .send({ jobs: [{ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }, body] }).expect(400);
    expect(batch.body.details).toEqual([expect.objectContaining({ field: 'jobs.1.type' })]);
    expect(await db().query(`SELECT 1 FROM jobs WHERE tenant_id = $1`, [tenant.tenantId])).toEqual([]);
  });

  it('the service submits an internal webhook delivery for a tenant: origin system, retried on 5xx, delivered once', async () => {
    const receiver = await WebhookReceiver.start([503, 200]);
    try {
      const tenant = newTenant();
      const endpointId = await endpointOn(receiver, tenant.admin);
      const { jobId, created } = await test.app.get(SystemSubmissions).submit({
        tenantId: tenant.tenantId,
        origin: 'system',
        type: 'webhook-deliver',
        data: deliveryData(endpointId, 'payment.completed', { orderId: 'ord_hook' }),
      });
      expect(created).toBe(true);
      const job = await waitForJobToFinish(test, tenant.admin, jobId);
      expect(job).toMatchObject({ status: 'completed', attempts: 2, result: { event: 'payment.completed', endpointId, statusCode: 200 } });
      expect(receiver.received).toHaveLength(2);
      expect(receiver.accepted()).toHaveLength(1);
      expect(receiver.received[1].headers).toMatchObject({ 'x-webhook-event': 'payment.completed', 'x-webhook-id': jobId });
      expect(receiver.received[1].body).toMatchObject({ event: 'payment.completed', data: { orderId: 'ord_hook' } });
      expect(await db().query(`SELECT origin, created_by FROM jobs WHERE id = $1`, [jobId])).toEqual([{ origin: 'system', created_by: null }]);
    } finally {
      await receiver.close();
    }
  });

  it('a receiver that refuses (4xx) fails the delivery for good after one attempt', async () => {
    const receiver = await WebhookReceiver.start([410]);
    try {
      const tenant = newTenant();
      const endpointId = await endpointOn(receiver, tenant.admin);
      const { jobId } = await test.app.get(SystemSubmissions).submit({
        tenantId: tenant.tenantId, origin: 'system', type: 'webhook-deliver', data: deliveryData(endpointId, 'refund.completed', {}),
      });
      expect(await waitForJobToFinish(test, tenant.admin, jobId)).toMatchObject({
        status: 'failed', attempts: 1, error: { type: 'webhook_rejected', permanent: true },
      });
    } finally {
      await receiver.close();
    }
  });

  it('system submissions are validated like client ones', async () => {
    await expect(test.app.get(SystemSubmissions).submit({
      tenantId: newTenant().tenantId, origin: 'system', type: 'webhook-deliver', data: { ...deliveryData('not a uuid', 'x', {}) },
    })).rejects.toMatchObject({ details: [expect.objectContaining({ field: 'data.endpointId' }), expect.objectContaining({ field: 'data.event' })] });
  });

  it('each tick of a repeatable persisted job gets its own record and runs to completion', async () => {
    const tenant = newTenant();
    const key = `ticks-${tenant.tenantId}`;
    const submissions = test.app.get(SystemSubmissions);
    const queue = test.app.get(QueueRegistry).get('money');
    await submissions.repeat(
      { tenantId: tenant.tenantId, origin: 'schedule', type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId: 'ord_tick' } },
      { key, every: 250 },
    );
    try {
      const ticks = await waitFor(async () => {
        const rows = await db().query(
          // Payments only (follow-ups, had they any, are of other types).
          `SELECT id, status, origin FROM jobs WHERE tenant_id = $1 AND type = 'payment-process' AND status = 'completed' ORDER BY created_at`,
          [tenant.tenantId]);
        return rows.length >= 2 ? rows : undefined;
      }, 15_000, 'two completed ticks');
      expect(ticks.every((row: { origin: string }) => row.origin === 'schedule')).toBe(true);
      expect(new Set(ticks.map((row: { id: string }) => row.id)).size).toBe(ticks.length);
      expect(await db().query(`SELECT error_type FROM dead_letter_jobs WHERE tenant_id = $1`, [tenant.tenantId])).toEqual([]);
    } finally {
      for (const repeatable of await queue.getRepeatableJobs()) {
        if (repeatable.id === key) await queue.removeRepeatableByKey(repeatable.key);
      }
    }
  });

  it('clearing a queue removes delayed jobs but keeps the next run of a repeatable job', async () => {
    const tenant = newTenant();
    const queue = test.app.get(QueueRegistry).get('background');
    const key = `hourly-${tenant.tenantId}`;
    await test.app.get(SystemSubmissions).repeat(
      { tenantId: tenant.tenantId, origin: 'schedule', type: 'analytics-process', data: { event: 'hourly.rollup' } },
      { key, every: 3_600_000 },
    );
    const delayed = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.admin}`)
      .send({ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'], options: { delay: 3_600_000 } }).expect(201);
    try {
      const nextRun = (await queue.getDelayed()).find((job) => job.opts.repeat && job.data.tenantId === tenant.tenantId);
      expect(nextRun).toBeDefined();
      // Listed like any delayed job, under Bull's own repeat:… id, and within the OpenAPI document.
      const listed = await test.http().get('/queues/background/jobs?state=delayed&limit=100').set('Authorization', `Bearer ${tenant.admin}`).expect(200);
      expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(String(nextRun!.id));

      await test.http().post('/queues/background/clear').set('Authorization', `Bearer ${tenant.admin}`).expect(200);

      expect(await queue.getJob(delayed.body.id)).toBeNull();
      expect(await queue.getJob(String(nextRun!.id))).not.toBeNull();
      expect((await queue.getRepeatableJobs()).filter((repeatable) => repeatable.id === key)).toHaveLength(1);
    } finally {
      for (const repeatable of await queue.getRepeatableJobs()) {
        if (repeatable.id === key) await queue.removeRepeatableByKey(repeatable.key);
      }
    }
  });

  it('a service-wide alert is kept in alert_history, and no tenant can read it', async () => {
    const tenant = newTenant();
    const kind = `queue.depth_${tenant.tenantId.slice(0, 8)}`;
    await test.app.get(AlertsService).raise({ tenantId: null, severity: 'critical', kind, queue: 'money', message: 'Money queue is backed up' });
    expect(await db().query(`SELECT tenant_id, severity FROM alert_history WHERE kind = $1`, [kind])).toEqual([{ tenant_id: null, severity: 'critical' }]);
    const seenByTenant = await test.app.get(TenantScope).run(tenant.tenantId, (manager) =>
      manager.query(`SELECT 1 FROM alert_history WHERE kind = $1`, [kind]));
    expect(seenByTenant).toEqual([]);
  });
});
