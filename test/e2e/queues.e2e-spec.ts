import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import type { ClientJobType as JobType } from '../../src/job-definitions/job-types';
import { PaymentGateway } from '../../src/payments/payment.gateway';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { VALID_PAYLOADS } from '../support/payloads';
import { HeldPaymentGateway } from '../support/held-stripe';
import { createPrivateDatabase, PrivateDatabase } from '../support/private-database';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { JobBody, waitFor, waitForJobToFinish } from '../support/wait-for';

type Tenant = ReturnType<typeof newTenant>;
interface JobPage {
  items: JobBody[];
  total: number;
  limit: number;
  offset: number;
}

const QUEUES = ['money', 'communication', 'background'] as const;
const COUNT_NAMES = ['active', 'completed', 'delayed', 'failed', 'waiting'];

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function submitOk(test: TestApp, token: string, type: JobType, data: object = VALID_PAYLOADS[type], options?: object) {
  const response = await test.http().post('/jobs').set(auth(token)).send({ type, data, ...(options ? { options } : {}) });
  expect(response.status).toBe(201);
  return response.body as { id: string; status: string };
}

const getJob = (test: TestApp, token: string, id: string) => test.http().get(`/jobs/${id}`).set(auth(token));

async function listJobs(test: TestApp, token: string, queue: string, query: Record<string, string | number> = {}): Promise<JobPage> {
  const response = await test.http().get(`/queues/${queue}/jobs`).query(query).set(auth(token));
  expect(response.status).toBe(200);
  return response.body;
}

const idsOf = (page: JobPage) => page.items.map((item) => item.id);

/** Every error: exactly {statusCode, error, message, details?, requestId}, never a stack trace. */
function expectErrorBody(response: Response, statusCode: number, error: string): void {
  expect(response.status).toBe(statusCode);
  const { body } = response;
  const keys = ['error', 'message', 'requestId', 'statusCode', ...(body.details ? ['details'] : [])].sort();
  expect(Object.keys(body).sort()).toEqual(keys);
  expect(body).toMatchObject({ statusCode, error, message: expect.any(String), requestId: expect.stringMatching(/.+/) });
  expect(JSON.stringify(body)).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+|stack/i);
}

function expectQueueStatus(body: unknown, name: string): void {
  expect(body).toEqual({
    name,
    paused: expect.any(Boolean),
    counts: Object.fromEntries(COUNT_NAMES.map((count) => [count, expect.any(Number)])),
  });
}

async function queueRow(test: TestApp, name: string): Promise<{ paused: boolean; paused_at: Date | null }> {
  const [row] = await test.app.get(DataSource).query(`SELECT paused, paused_at FROM queues WHERE name = $1`, [name]);
  return row;
}

/** Puts every queue back to running, in Redis and on record, whatever a failed test left behind. */
async function resumeAll(test: TestApp): Promise<void> {
  const admin = newTenant().admin;
  for (const name of QUEUES) await test.http().post(`/queues/${name}/resume`).set(auth(admin));
}

/**
 * Pausing writes the `queues` row every app re-applies at start-up: this file has a database of
 * its own, so another file's app never starts with a queue this one paused.
 */
let database: PrivateDatabase;
const ownDatabase = () => ({ env: { DATABASE_URL: database.url } });
beforeAll(async () => {
  database = await createPrivateDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('Queues', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp(ownDatabase());
  });
  afterAll(async () => {
    await resumeAll(test);
    await test.close();
  });

  describe('status', () => {
    it('GET /queues lists the three queues with their paused state and counts', async () => {
      const response = await test.http().get('/queues').set(auth(newTenant().user)).expect(200);
      expect(response.body.map((queue: { name: string }) => queue.name)).toEqual([...QUEUES]);
      for (const [index, name] of QUEUES.entries()) expectQueueStatus(response.body[index], name);
    });

    it.each(QUEUES)('GET /queues/%s/status answers its status', async (name) => {
      const response = await test.http().get(`/queues/${name}/status`).set(auth(newTenant().user)).expect(200);
      expectQueueStatus(response.body, name);
      expect(response.body.paused).toBe(false);
    });

    it('counts a delayed job, and no longer once it is cancelled', async () => {
      const tenant = newTenant();
      const before = (await test.http().get('/queues/money/status').set(auth(tenant.user)).expect(200)).body.counts;
      const { id } = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      const during = (await test.http().get('/queues/money/status').set(auth(tenant.user)).expect(200)).body.counts;
      expect(during.delayed).toBe(before.delayed + 1);
      await test.http().delete(`/jobs/${id}`).set(auth(tenant.admin)).expect(200);
      const after = (await test.http().get('/queues/money/status').set(auth(tenant.user)).expect(200)).body.counts;
      expect(after.delayed).toBe(before.delayed);
    });

    it('counts completed and failed jobs', async () => {
      const tenant = newTenant();
      const before = (await test.http().get('/queues/money/status').set(auth(tenant.user)).expect(200)).body.counts;
      const ok = await submitOk(test, tenant.user, 'payment-process');
      const declined = await submitOk(test, tenant.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], paymentMethodId: 'pm_card_chargeDeclined' });
      await waitForJobToFinish(test, tenant.user, ok.id);
      await waitForJobToFinish(test, tenant.user, declined.id);
      // The record is final a moment before Bull files the job: wait for the counts to follow.
      const after = await waitFor(async () => {
        const { counts } = (await test.http().get('/queues/money/status').set(auth(tenant.user)).expect(200)).body;
        return counts.completed > before.completed && counts.failed > before.failed ? counts : undefined;
      }, 5_000, 'the money counts to include both jobs');
      expect(after.completed).toBe(before.completed + 1);
      expect(after.failed).toBe(before.failed + 1);
    });
  });

  describe('unknown queues', () => {
    it.each<[string, 'get' | 'post', string]>([
      ['status', 'get', '/queues/nope/status'],
      ['jobs', 'get', '/queues/nope/jobs'],
      ['pause', 'post', '/queues/nope/pause'],
      ['resume', 'post', '/queues/nope/resume'],
      ['clear', 'post', '/queues/nope/clear'],
    ])('%s answers 404', async (_case, method, path) => {
      const response = await test.http()[method](path).set(auth(newTenant().admin));
      expectErrorBody(response, 404, 'Not Found');
      expect(response.body.message).toBe('Queue nope not found');
    });
  });

  describe('GET /queues/:name/jobs', () => {
    let tenantA: Tenant;
    let tenantB: Tenant;
    const money = { completed: [] as string[], delayed: '', other: '' };
    const background = { a: [] as string[], b: [] as string[] };

    beforeAll(async () => {
      [tenantA, tenantB] = [newTenant(), newTenant()];
      for (let index = 0; index < 5; index += 1) {
        const { id } = await submitOk(test, tenantA.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], orderId: `ord_${index}` });
        await waitForJobToFinish(test, tenantA.user, id);
        money.completed.unshift(id); // newest first, as listed
      }
      money.delayed = (await submitOk(test, tenantA.user, 'refund-process', undefined, { delay: 60_000 })).id;
      money.other = (await submitOk(test, tenantB.user, 'payment-process')).id;
      await waitForJobToFinish(test, tenantB.user, money.other);

      for (let index = 0; index < 3; index += 1) {
        const { id } = await submitOk(test, tenantA.user, 'analytics-process');
        await waitForJobToFinish(test, tenantA.user, id);
        background.a.unshift(id);
      }
      for (let index = 0; index < 2; index += 1) {
        const { id } = await submitOk(test, tenantB.user, 'analytics-process');
        await waitForJobToFinish(test, tenantB.user, id);
        background.b.unshift(id);
      }
    });
    afterAll(async () => {
      await test.http().delete(`/jobs/${money.delayed}`).set(auth(tenantA.admin));
    });

    it('a user sees only its tenant’s jobs of a persisted queue, newest first, with default paging', async () => {
      const page = await listJobs(test, tenantA.user, 'money');
      expect(page).toMatchObject({ total: 6, limit: 20, offset: 0 });
      expect(idsOf(page)).toEqual([money.delayed, ...money.completed]);
      expect(page.items[0]).toMatchObject({ id: money.delayed, queue: 'money', type: 'refund-process', status: 'delayed', attempts: 0 });
      expect(page.items[1]).toMatchObject({ queue: 'money', type: 'payment-process', status: 'completed', attempts: 1, result: expect.any(Object) });
      expect(idsOf(await listJobs(test, tenantB.user, 'money'))).toEqual([money.other]);
    });

    it('a venue admin sees only its tenant’s jobs too', async () => {
      const page = await listJobs(test, tenantB.venueAdmin, 'money');
      expect(page.total).toBe(1);
      expect(idsOf(page)).toEqual([money.other]);
    });

    it('filters by state and pages with limit and offset', async () => {
      const pages = await Promise.all([0, 2, 4, 6].map((offset) => listJobs(test, tenantA.user, 'money', { state: 'completed', limit: 2, offset })));
      expect(pages.map((page) => page.total)).toEqual([5, 5, 5, 5]);
      expect(pages.map((page) => page.items.length)).toEqual([2, 2, 1, 0]);
      expect(pages.map((page) => [page.limit, page.offset])).toEqual([[2, 0], [2, 2], [2, 4], [2, 6]]);
      expect(pages.flatMap(idsOf)).toEqual(money.completed);
      expect(pages.flatMap((page) => page.items.map((item) => item.status))).toEqual(money.completed.map(() => 'completed'));

      const delayed = await listJobs(test, tenantA.user, 'money', { state: 'delayed' });
      expect(delayed.total).toBe(1);
      expect(idsOf(delayed)).toEqual([money.delayed]);
      expect((await listJobs(test, tenantA.user, 'money', { state: 'failed' })).total).toBe(0);
    });

    it('an admin sees every tenant’s jobs of a persisted queue', async () => {
      const page = await listJobs(test, tenantA.admin, 'money', { limit: 100 });
      expect(page.total).toBeGreaterThanOrEqual(7);
      expect(idsOf(page)).toEqual(expect.arrayContaining([...money.completed, money.delayed, money.other]));
      const delayed = await listJobs(test, tenantB.admin, 'money', { state: 'delayed', limit: 100 });
      expect(idsOf(delayed)).toContain(money.delayed);
    });

    it('a user sees only its tenant’s jobs of a Redis-only queue, paged', async () => {
      const first = await listJobs(test, tenantA.user, 'background', { limit: 2 });
      const second = await listJobs(test, tenantA.user, 'background', { limit: 2, offset: 2 });
      expect([first.total, second.total]).toEqual([3, 3]);
      expect([...idsOf(first), ...idsOf(second)]).toEqual(background.a);
      expect(first.items[0]).toMatchObject({ queue: 'background', type: 'analytics-process', status: 'completed', attempts: 1, result: { count: expect.any(Number) } });

      const completed = await listJobs(test, tenantB.user, 'background', { state: 'completed' });
      expect(completed.total).toBe(2);
      expect(idsOf(completed)).toEqual(background.b);
      expect((await listJobs(test, tenantB.user, 'background', { state: 'failed' })).total).toBe(0);
      expect((await listJobs(test, tenantB.user, 'background', { state: 'cancelled' })).total).toBe(0);
    });

    it('an admin sees every tenant’s jobs of a Redis-only queue', async () => {
      const page = await listJobs(test, tenantA.admin, 'background', { limit: 100 });
      expect(page.total).toBeGreaterThanOrEqual(5);
      expect(idsOf(page)).toEqual(expect.arrayContaining([...background.a, ...background.b]));
    });

    it.each<[string, Record<string, string>, string]>([
      ['limit=0', { limit: '0' }, 'limit'],
      ['limit=1000', { limit: '1000' }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['offset=-1', { offset: '-1' }, 'offset'],
      ['state=bogus', { state: 'bogus' }, 'state'],
      ['an unknown parameter', { sort: 'asc' }, 'sort'],
    ])('answers 400 for %s', async (_case, query, field) => {
      for (const queue of ['money', 'background']) {
        const response = await test.http().get(`/queues/${queue}/jobs`).query(query).set(auth(tenantA.user));
        expectErrorBody(response, 400, 'Bad Request');
        expect(response.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
      }
    });
  });

  describe('pause and resume', () => {
    it.each(['pause', 'resume', 'clear'])('%s is for admins only (403 for venue admins and users)', async (action) => {
      const tenant = newTenant();
      for (const token of [tenant.venueAdmin, tenant.user]) {
        const response = await test.http().post(`/queues/communication/${action}`).set(auth(token));
        expectErrorBody(response, 403, 'Forbidden');
        expect(response.body.message).toBe('Requires one of the roles: admin');
      }
      expect((await queueRow(test, 'communication')).paused).toBe(false);
    });

    it('holds jobs submitted while paused until resumed, and keeps the paused state on record', async () => {
      const tenant = newTenant();
      const paused = await test.http().post('/queues/communication/pause').set(auth(tenant.admin)).expect(200);
      try {
        expectQueueStatus(paused.body, 'communication');
        expect(paused.body.paused).toBe(true);
        expect(await queueRow(test, 'communication')).toEqual({ paused: true, paused_at: expect.any(Date) });
        expect((await test.http().get('/queues/communication/status').set(auth(tenant.user)).expect(200)).body.paused).toBe(true);
        expect((await test.http().get('/queues').set(auth(tenant.user)).expect(200)).body[1]).toMatchObject({ name: 'communication', paused: true });

        const email = await submitOk(test, tenant.user, 'email-send');
        expect(email.status).toBe('waiting');
        // Workers are running: a job on another queue completes meanwhile …
        const payment = await submitOk(test, tenant.user, 'payment-process');
        expect((await waitForJobToFinish(test, tenant.user, payment.id)).status).toBe('completed');
        // … while the e-mail still waits.
        expect((await getJob(test, tenant.user, email.id).expect(200)).body).toMatchObject({ status: 'waiting', attempts: 0, startedAt: null });
        expect(idsOf(await listJobs(test, tenant.user, 'communication', { state: 'waiting' }))).toEqual([email.id]);

        const resumed = await test.http().post('/queues/communication/resume').set(auth(tenant.admin)).expect(200);
        expect(resumed.body).toMatchObject({ name: 'communication', paused: false });
        expect(await queueRow(test, 'communication')).toEqual({ paused: false, paused_at: null });
        expect((await waitForJobToFinish(test, tenant.user, email.id)).status).toBe('completed');
      } finally {
        await test.http().post('/queues/communication/resume').set(auth(tenant.admin));
      }
    });

    it('counts the jobs waiting in a paused queue as waiting', async () => {
      const tenant = newTenant();
      await test.http().post('/queues/communication/pause').set(auth(tenant.admin)).expect(200);
      try {
        const before = (await test.http().get('/queues/communication/status').set(auth(tenant.user)).expect(200)).body.counts;
        const sms = await submitOk(test, tenant.user, 'sms-send');
        expect((await getJob(test, tenant.user, sms.id)).body.status).toBe('waiting');
        const after = (await test.http().get('/queues/communication/status').set(auth(tenant.user)).expect(200)).body.counts;
        expect(after.waiting).toBe(before.waiting + 1);
      } finally {
        await test.http().post('/queues/communication/resume').set(auth(tenant.admin));
      }
    });

    it('pausing twice and resuming twice is harmless', async () => {
      const admin = newTenant().admin;
      try {
        for (let round = 0; round < 2; round += 1) {
          expect((await test.http().post('/queues/background/pause').set(auth(admin)).expect(200)).body.paused).toBe(true);
        }
      } finally {
        for (let round = 0; round < 2; round += 1) {
          expect((await test.http().post('/queues/background/resume').set(auth(admin)).expect(200)).body.paused).toBe(false);
        }
      }
      expect((await queueRow(test, 'background')).paused).toBe(false);
    });

    it('a service that starts while a queue is paused on record starts with it paused', async () => {
      const tenant = newTenant();
      await test.http().post('/queues/background/pause').set(auth(tenant.admin)).expect(200);
      let restarted: TestApp | undefined;
      try {
        restarted = await startTestApp(ownDatabase());
        const status = await restarted.http().get('/queues/background/status').set(auth(tenant.user)).expect(200);
        expect(status.body.paused).toBe(true);
        const { id } = await submitOk(restarted, tenant.user, 'analytics-process');
        await restarted.http().post('/queues/background/resume').set(auth(tenant.admin)).expect(200);
        expect((await waitForJobToFinish(restarted, tenant.user, id)).status).toBe('completed');
      } finally {
        await restarted?.close();
        await test.http().post('/queues/background/resume').set(auth(tenant.admin));
      }
      expect((await queueRow(test, 'background')).paused).toBe(false);
    });
  });
});

describe('Clearing a queue (Stripe held at the network edge)', () => {
  let test: TestApp;
  const stripe = new HeldPaymentGateway();

  beforeAll(async () => {
    test = await startTestApp({ ...ownDatabase(), gateways: [{ provide: PaymentGateway, useValue: stripe }] });
  });
  afterAll(async () => {
    stripe.releaseAll();
    await resumeAll(test);
    await test.close();
  });

  it('removes waiting and delayed jobs of every tenant, cancels their records, and keeps the running one', async () => {
    const [tenantA, tenantB] = [newTenant(), newTenant()];
    const orderId = `ord_held_${randomUUID().slice(0, 8)}`;
    stripe.hold(orderId);
    const active = await submitOk(test, tenantA.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], orderId });
    await stripe.entered(orderId);

    await test.http().post('/queues/money/pause').set(auth(tenantA.admin)).expect(200);
    try {
      const waiting = [
        await submitOk(test, tenantA.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], orderId: 'ord_w1' }),
        await submitOk(test, tenantB.user, 'nft-mint'),
      ];
      const delayed = [
        await submitOk(test, tenantA.user, 'refund-process', undefined, { delay: 60_000 }),
        await submitOk(test, tenantB.user, 'payment-process', undefined, { delay: 60_000 }),
      ];
      expect(waiting.map((job) => job.status)).toEqual(['waiting', 'waiting']);
      expect(delayed.map((job) => job.status)).toEqual(['delayed', 'delayed']);

      expectErrorBody(await test.http().post('/queues/money/clear').set(auth(tenantA.venueAdmin)), 403, 'Forbidden');

      const cleared = await test.http().post('/queues/money/clear').set(auth(tenantA.admin)).expect(200);
      expect(cleared.body).toEqual({ name: 'money', removed: 4 });

      const owners = [tenantA, tenantB, tenantA, tenantB];
      for (const [index, job] of [...waiting, ...delayed].entries()) {
        const view = (await getJob(test, owners[index].user, job.id).expect(200)).body;
        expect(view).toMatchObject({ id: job.id, status: 'cancelled' });
        expect(view.finishedAt).not.toBeNull();
        expect(await test.app.get(QueueRegistry).get('money').getJob(job.id)).toBeNull();
      }
      const status = (await test.http().get('/queues/money/status').set(auth(tenantA.user)).expect(200)).body;
      expect(status.counts).toMatchObject({ waiting: 0, delayed: 0, active: 1 });
      expect((await getJob(test, tenantA.user, active.id)).body.status).toBe('active');

      // Clearing again finds nothing left to remove.
      expect((await test.http().post('/queues/money/clear').set(auth(tenantA.admin)).expect(200)).body).toEqual({ name: 'money', removed: 0 });
    } finally {
      await test.http().post('/queues/money/resume').set(auth(tenantA.admin));
    }

    stripe.release(orderId, 'succeed');
    const finished = await waitForJobToFinish(test, tenantA.user, active.id);
    expect(finished).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('clearing a Redis-only queue removes its waiting and delayed jobs', async () => {
    const tenant = newTenant();
    await test.http().post('/queues/background/pause').set(auth(tenant.admin)).expect(200);
    try {
      const waiting = await submitOk(test, tenant.user, 'analytics-process');
      const delayed = await submitOk(test, tenant.user, 'cleanup', undefined, { delay: 60_000 });
      const cleared = await test.http().post('/queues/background/clear').set(auth(tenant.admin)).expect(200);
      expect(cleared.body).toEqual({ name: 'background', removed: 2 });
      const background = test.app.get(QueueRegistry).get('background');
      expect(await background.getJob(waiting.id)).toBeNull();
      expect(await background.getJob(delayed.id)).toBeNull();
      expect((await listJobs(test, tenant.user, 'background')).total).toBe(0);
    } finally {
      await test.http().post('/queues/background/resume').set(auth(tenant.admin));
    }
  });
});
