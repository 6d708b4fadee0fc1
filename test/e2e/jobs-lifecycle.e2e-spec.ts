import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CancellationFlags } from '../../src/jobs/cancellation-flags';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, getJob, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, paymentData } from '../support/payloads';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';
import { settledBullJob, waitForJobToFinish } from '../support/wait-for';
import { StripeFake } from '../support/stripe-fake/stripe-fake';

const database = privateDatabaseForThisFile();

describe('Jobs', () => {
  let test: TestApp;
  // A test here pauses a queue, which every app re-applies at start-up: a database of its own.

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await test?.close();
  });

  describe('POST /jobs/:id/retry', () => {
    it('answers 409 for a completed job', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'sms-send');
      await waitForJobToFinish(test, tenant.user, id);
      const response = await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.venueAdmin));
      expectErrorBody(response, 409, 'Conflict');
    });

    it('answers 404 to another user of the tenant, even for a failed job; its submitter may retry it', async () => {
      const tenant = newTenant();
      const otherUser = tokenFor({ tenantId: tenant.tenantId, roles: ['user'], sub: 'user-2' });
      const { id } = await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
      await waitForJobToFinish(test, tenant.user, id);
      await settledBullJob(test, 'money', id);
      expectErrorBody(await test.http().post(`/jobs/${id}/retry`).set(auth(otherUser)), 404, 'Not Found');
      expect((await getJob(test, tenant.user, id)).body).toMatchObject({ status: 'failed', attempts: 1 });
      await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.user)).expect(202);
      await waitForJobToFinish(test, tenant.user, id);
    });

    it('re-queues a failed job under its id and runs it again from its first attempt', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
      const first = await waitForJobToFinish(test, tenant.user, id);
      expect(first).toMatchObject({ status: 'failed', attempts: 1 });
      // The record is final a moment before Bull lets go of the job; until then a retry answers 409.
      await settledBullJob(test, 'money', id);

      const retry = await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.venueAdmin)).expect(202);
      expect(retry.body).toEqual({ id, queue: 'money', type: 'payment-process', status: 'waiting' });

      const second = await waitForJobToFinish(test, tenant.user, id);
      expect(second).toMatchObject({ id, status: 'failed', attempts: 1, error: { type: 'card_declined', permanent: true } });
      expect(Date.parse(String(second.startedAt))).toBeGreaterThan(Date.parse(String(first.startedAt)));
      expect(Date.parse(String(second.finishedAt))).toBeGreaterThan(Date.parse(String(first.finishedAt)));

      const [row] = await test.app.get(DataSource).query(`SELECT status, attempts, started_at, finished_at FROM jobs WHERE id = $1`, [id]);
      expect(row).toMatchObject({ status: 'failed', attempts: 1 });
      expect(row.finished_at.getTime()).toBe(Date.parse(String(second.finishedAt)));
    });

    it('answers 409 for a job that is still waiting', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      expectErrorBody(await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.admin)), 409, 'Conflict');
      await test.http().delete(`/jobs/${id}`).set(auth(tenant.admin)).expect(200);
    });
  });

  describe('DELETE /jobs/:id', () => {
    it('cancels a delayed job; GET then shows it cancelled', async () => {
      const tenant = newTenant();
      const submitted = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      expect(submitted.status).toBe('delayed');
      expect((await getJob(test, tenant.user, submitted.id)).body.status).toBe('delayed');

      const response = await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.venueAdmin)).expect(200);
      expect(response.body).toMatchObject({ id: submitted.id, queue: 'money', type: 'payment-process', status: 'cancelled' });

      const job = (await getJob(test, tenant.user, submitted.id).expect(200)).body;
      expect(job).toMatchObject({ status: 'cancelled', result: null });
      expect(job.finishedAt).not.toBeNull();
      // It is gone from Redis: it will never run.
      expect(await test.app.get(QueueRegistry).get('money').getJob(submitted.id)).toBeNull();
      // Cancelling again is a conflict.
      expectErrorBody(await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.venueAdmin)), 409, 'Conflict');
    });

    it('cancels a delayed Redis-only job', async () => {
      const tenant = newTenant();
      const submitted = await submitOk(test, tenant.user, 'analytics-process', undefined, { delay: 60_000 });
      expect(submitted.status).toBe('delayed');
      const response = await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.admin)).expect(200);
      expect(response.body).toMatchObject({ id: submitted.id, queue: 'background', status: 'cancelled' });
      expect(await test.app.get(QueueRegistry).get('background').getJob(submitted.id)).toBeNull();
    });

    it('cancels a job waiting in a paused queue', async () => {
      const tenant = newTenant();
      await test.http().post('/queues/communication/pause').set(auth(tenant.admin)).expect(200);
      try {
        const submitted = await submitOk(test, tenant.user, 'email-send');
        expect((await getJob(test, tenant.user, submitted.id)).body.status).toBe('waiting');

        const response = await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.venueAdmin)).expect(200);
        expect(response.body).toMatchObject({ id: submitted.id, queue: 'communication', type: 'email-send', status: 'cancelled' });
        expect((await getJob(test, tenant.user, submitted.id)).body.status).toBe('cancelled');
        expect(await test.app.get(QueueRegistry).get('communication').getJob(submitted.id)).toBeNull();
      } finally {
        await test.http().post('/queues/communication/resume').set(auth(tenant.admin)).expect(200);
      }
    });

    it('answers 409 for a completed job', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process');
      await waitForJobToFinish(test, tenant.user, id);
      expectErrorBody(await test.http().delete(`/jobs/${id}`).set(auth(tenant.admin)), 409, 'Conflict');
      expect((await getJob(test, tenant.user, id)).body.status).toBe('completed');
    });

    it('answers 404 to another user of the tenant; its submitter may cancel it', async () => {
      const tenant = newTenant();
      const otherUser = tokenFor({ tenantId: tenant.tenantId, roles: ['user'], sub: 'user-2' });
      const { id } = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      expectErrorBody(await test.http().delete(`/jobs/${id}`).set(auth(otherUser)), 404, 'Not Found');
      expect((await getJob(test, tenant.user, id)).body.status).toBe('delayed');
      const cancelled = await test.http().delete(`/jobs/${id}`).set(auth(tenant.user)).expect(200);
      expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    });

    it('answers 400 for an id that is no UUID', async () => {
      expectErrorBody(await test.http().delete('/jobs/123').set(auth(newTenant().admin)), 400, 'Bad Request');
    });
  });

  describe('a cancellation flag found as an attempt starts', () => {
    it('cancels each flagged job of a backlog unrun, and only those, when the jobs start together', async () => {
      // The runner reads the flag (Redis) before it claims the record. Flagged directly, as
      // DELETE does for a job it cannot remove; the jobs start together at the resume.
      const tenant = newTenant();
      await test.http().post('/queues/money/pause').set(auth(tenant.admin)).expect(200);
      const ids: string[] = [];
      try {
        for (let n = 0; n < 8; n++) ids.push((await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: `ord_flag_${n}_${randomUUID().slice(0, 6)}` }))).id);
        for (const id of [ids[1], ids[4], ids[5]]) await test.app.get(CancellationFlags).request(id);
      } finally {
        await test.http().post('/queues/money/resume').set(auth(tenant.admin)).expect(200);
      }
      const finished = await Promise.all(ids.map((id) => waitForJobToFinish(test, tenant.user, id)));
      expect(finished.map((job) => job.status)).toEqual(
        ['completed', 'cancelled', 'completed', 'completed', 'cancelled', 'cancelled', 'completed', 'completed']);
      for (const index of [1, 4, 5]) expect(finished[index]).toMatchObject({ attempts: 0, result: null });
    });
  });
});

describe('Jobs that are running (Stripe held at the network edge)', () => {
  let test: TestApp;
  let stripe: StripeFake;

  beforeAll(async () => {
    stripe = await StripeFake.start();
    // Held payments wait as long as a test needs: far from the SDK's timeout.
    test = await startTestApp({ env: stripe.env({ STRIPE_TIMEOUT_MS: '60000' }) });
  });
  afterAll(async () => {
    stripe?.releaseAll();
    await test?.close();
    await stripe?.close();
  });

  it('DELETE flags an active job; its attempt then fails transiently and it ends cancelled, not retried', async () => {
    const tenant = newTenant();
    const orderId = `ord_held_${randomUUID().slice(0, 8)}`;
    stripe.hold(orderId);
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }), { attempts: 3 });
    await stripe.entered(orderId);
    expect((await getJob(test, tenant.user, id)).body.status).toBe('active');

    const response = await test.http().delete(`/jobs/${id}`).set(auth(tenant.venueAdmin)).expect(200);
    expect(response.body).toEqual({ id, queue: 'money', type: 'payment-process', status: 'active', cancelRequested: true });
    expect((await getJob(test, tenant.user, id)).body).toMatchObject({ status: 'active', cancelRequested: true });

    stripe.release(orderId, 'time-out');
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'cancelled', attempts: 1 });

    expect(await settledBullJob(test, 'money', id)).toEqual({ state: 'failed', attemptsMade: 1 });
    expect(stripe.callsFor(orderId)).toBe(1);
  });

  it('without a cancellation, the same transient failure is retried', async () => {
    // The control for the test above: attempts 2, so the retry comes after one backoff.
    const tenant = newTenant();
    const orderId = `ord_held_${randomUUID().slice(0, 8)}`;
    stripe.hold(orderId);
    const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId }), { attempts: 2 });
    await stripe.entered(orderId);
    stripe.release(orderId, 'time-out');
    const job = await waitForJobToFinish(test, tenant.user, id, 20_000);
    expect(job).toMatchObject({ status: 'failed', attempts: 2, error: { type: 'provider_timeout', permanent: false } });
    expect(stripe.callsFor(orderId)).toBe(2);
  }, 30_000);
});
