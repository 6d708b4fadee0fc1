import { randomUUID } from 'node:crypto';
import { DashboardRefusal, ServiceRulesBullAdapter } from '../../src/dashboard/service-rules-bull-adapter';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { board, dashboardCookie } from '../support/dashboard-session';
import { auth, getJob, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, paymentData } from '../support/payloads';
import { queueRow, resumeAll } from '../support/queue-state';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { settledBullJob, waitFor, waitForJobToFinish } from '../support/wait-for';

/** Pausing through the board writes the `queues` row every app re-applies at start-up. */
const database = privateDatabaseForThisFile();

describe('Queue dashboard: changes go through the service', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    if (test) await resumeAll(test);
    await test?.close();
  });

  async function deadLetterCount(token: string): Promise<number> {
    const response = await test.http().get('/dlq').set(auth(token));
    expect(response.status).toBe(200);
    return response.body.total;
  }

  /** A declined payment of the tenant, failed for good and let go of by Bull. */
  async function failedPayment(tenant: ReturnType<typeof newTenant>): Promise<string> {
    const { id } = await submitOk(test, tenant.user, 'payment-process', { ...DECLINED_PAYMENT, orderId: `ord_${randomUUID().slice(0, 8)}` });
    expect(await waitForJobToFinish(test, tenant.user, id)).toMatchObject({ status: 'failed' });
    await settledBullJob(test, 'money', id);
    return id;
  }

  async function delayedPayment(tenant: ReturnType<typeof newTenant>): Promise<string> {
    const { id, status } = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: `ord_${randomUUID().slice(0, 8)}` }), { delay: 600_000 });
    expect(status).toBe('delayed');
    return id;
  }

  it('retry runs a failed job again under the service’s rules: its record is requeued and it is dead-lettered anew', async () => {
    const tenant = newTenant();
    const id = await failedPayment(tenant);
    expect(await deadLetterCount(tenant.admin)).toBe(1);
    const cookie = await dashboardCookie(test, tenant.admin);
    const response = await board(test).put(`/admin/queues/api/queues/money/${id}/retry`).set('Cookie', cookie);
    expect(response.status).toBe(204);
    // Bull's own retry would hand the runner a job whose record is failed, which it discards unrun.
    await waitFor(async () => ((await deadLetterCount(tenant.admin)) === 2 ? true : undefined), 15_000, 'a second dead-letter entry');
    expect(await waitForJobToFinish(test, tenant.user, id)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('retry of a job that has not failed is refused as POST /jobs/:id/retry refuses it (409)', async () => {
    const tenant = newTenant();
    const id = await delayedPayment(tenant);
    const cookie = await dashboardCookie(test, tenant.admin);
    const response = await board(test).put(`/admin/queues/api/queues/money/${id}/retry`).set('Cookie', cookie);
    expect(response.status).toBe(409);
    expect(response.body.message).toMatch(/Only failed jobs can be retried/);
    expect((await getJob(test, tenant.user, id)).body.status).toBe('delayed');
  });

  it('remove cancels a delayed job: gone from Redis and its record cancelled, so recovery never brings it back', async () => {
    const tenant = newTenant();
    const id = await delayedPayment(tenant);
    const cookie = await dashboardCookie(test, tenant.admin);
    const response = await board(test).put(`/admin/queues/api/queues/money/${id}/clean`).set('Cookie', cookie);
    expect(response.status).toBe(204);
    expect((await getJob(test, tenant.user, id)).body.status).toBe('cancelled');
    expect(await test.app.get(QueueRegistry).get('money').getJob(id)).toBeNull();
  });

  it('acts for the session’s tenant only: another tenant’s job is not found (404) and stays as it was', async () => {
    const owner = newTenant();
    const failed = await failedPayment(owner);
    const delayed = await delayedPayment(owner);
    const cookie = await dashboardCookie(test, newTenant().admin);
    const retry = await board(test).put(`/admin/queues/api/queues/money/${failed}/retry`).set('Cookie', cookie);
    const remove = await board(test).put(`/admin/queues/api/queues/money/${delayed}/clean`).set('Cookie', cookie);
    expect([retry.status, remove.status]).toEqual([404, 404]);
    expect((await getJob(test, owner.user, failed)).body.status).toBe('failed');
    expect((await getJob(test, owner.user, delayed)).body.status).toBe('delayed');
    expect(await deadLetterCount(owner.admin)).toBe(1);
  });

  it('refuses what it cannot do through the service (405), leaving the job as it was', async () => {
    const tenant = newTenant();
    const id = await delayedPayment(tenant);
    const cookie = await dashboardCookie(test, tenant.admin);
    const refused = [
      board(test).put(`/admin/queues/api/queues/money/${id}/promote`),
      board(test).patch(`/admin/queues/api/queues/money/${id}/update-data`).send({ jobData: { amount: 1 } }),
      board(test).put('/admin/queues/api/queues/money/clean/delayed'),
      board(test).put('/admin/queues/api/queues/money/retry/failed'),
      board(test).put('/admin/queues/api/queues/money/promote'),
      board(test).put('/admin/queues/api/queues/money/empty'),
      board(test).put('/admin/queues/api/queues/money/obliterate').send({ force: true }),
      board(test).post('/admin/queues/api/queues/money/add').send({ name: 'payment-process', data: {} }),
    ];
    for (const request of refused) {
      const response = await request.set('Cookie', cookie);
      expect(response.status).toBe(405);
      expect(response.body.message).toEqual(expect.any(String));
    }
    expect((await getJob(test, tenant.user, id)).body.status).toBe('delayed');
    const job = await test.app.get(QueueRegistry).get('money').getJob(id);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.data.payload).toMatchObject({ amount: 2500 });
  });

  it('pause and resume keep the paused state on record, as POST /queues/:name/pause does', async () => {
    const cookie = await dashboardCookie(test, newTenant().admin);
    const queue = test.app.get(QueueRegistry).get('communication');
    expect((await board(test).put('/admin/queues/api/queues/communication/pause').set('Cookie', cookie)).status).toBe(200);
    expect([(await queueRow(test, 'communication')).paused, await queue.isPaused()]).toEqual([true, true]);
    expect((await board(test).put('/admin/queues/api/queues/communication/resume').set('Cookie', cookie)).status).toBe(200);
    expect([(await queueRow(test, 'communication')).paused, await queue.isPaused()]).toEqual([false, false]);
  });

  it('shows a failed job with its reason but no stack frames (no file paths leave the service)', async () => {
    const tenant = newTenant();
    const id = await failedPayment(tenant);
    const cookie = await dashboardCookie(test, tenant.admin);
    const one = await board(test).get(`/admin/queues/api/queues/money/${id}`).set('Cookie', cookie);
    const listed = await board(test).get('/admin/queues/api/queues').query({ activeQueue: 'money', status: 'failed' }).set('Cookie', cookie);
    expect(one.status).toBe(200);
    expect(one.body.job.failedReason).toMatch(/declined/);
    expect(one.body.job.stacktrace).toEqual([expect.stringMatching(/^PermanentJobError: .*declined/)]);
    expect(JSON.stringify([one.body, listed.body])).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+/);
  });

  it('an unknown queue is 404', async () => {
    const cookie = await dashboardCookie(test, newTenant().admin);
    const response = await board(test).put(`/admin/queues/api/queues/nope/${randomUUID()}/retry`).set('Cookie', cookie);
    expect(response.status).toBe(404);
  });

  it('the board’s queue adapter refuses every change by itself, should a request ever get past the gate', async () => {
    const tenant = newTenant();
    const failed = await failedPayment(tenant);
    const queue = test.app.get(QueueRegistry).get('money');
    const adapter = new ServiceRulesBullAdapter(queue);
    const job = (await adapter.getJob(failed))!;
    const listed = (await adapter.getJobs(['failed'])).find((candidate) => candidate.toJSON().id === failed)!;
    for (const change of [() => job.retry(), () => job.remove(), () => listed.retry(), () => adapter.clean('failed', 0), () => adapter.empty(), () => adapter.obliterate(), () => adapter.pause()]) {
      await expect(change()).rejects.toBeInstanceOf(DashboardRefusal);
    }
    expect(() => adapter.addJob('payment-process', {}, {})).toThrow(DashboardRefusal);
    expect(await (await queue.getJob(failed))?.getState()).toBe('failed');
    expect(await queue.isPaused()).toBe(false);
    expect(await deadLetterCount(tenant.admin)).toBe(1);
  });
});
