import { DataSource } from 'typeorm';
import type { ClientJobType as JobType } from '../../src/job-definitions/job-types';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody, fieldsOf } from '../support/error-body';
import { QUEUE_OF, UUID } from '../support/expected-jobs';
import { auth, getJob, tenantJobCount } from '../support/job-requests';
import { paymentData, VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { JobBody, waitForQueuesIdle } from '../support/wait-for';

const database = privateDatabaseForThisFile();

describe('Jobs', () => {
  let test: TestApp;
  // Recovery in an app on the shared database re-adds other apps' pending jobs to its own queues,
  // which would keep them from going idle: a database of its own.

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await test?.close();
  });

  describe('POST /jobs/batch', () => {
    const batch = (test: TestApp, token: string, jobs: unknown) => test.http().post('/jobs/batch').set(auth(token)).send({ jobs });

    it('creates every job, answers them in order, and runs them all', async () => {
      const tenant = newTenant();
      const items = [
        { type: 'payment-process', data: VALID_PAYLOADS['payment-process'] },
        { type: 'email-send', data: VALID_PAYLOADS['email-send'] },
        { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] },
        { type: 'nft-mint', data: VALID_PAYLOADS['nft-mint'], options: { priority: 'high' } },
        { type: 'sms-send', data: VALID_PAYLOADS['sms-send'], options: { delay: 0, attempts: 2 } },
      ];
      const response = await batch(test, tenant.admin, items).expect(201);
      expect(response.body).toEqual({
        jobs: items.map((item) => ({
          id: expect.stringMatching(UUID),
          queue: QUEUE_OF[item.type as JobType],
          type: item.type,
          status: 'waiting',
        })),
      });
      const ids = response.body.jobs.map((job: { id: string }) => job.id);
      expect(new Set(ids).size).toBe(items.length);
      // Every queue held only this batch: once all are idle, every job has run to its end.
      await waitForQueuesIdle(test);
      const finished: JobBody[] = await Promise.all(ids.map(async (id: string) => (await getJob(test, tenant.user, id).expect(200)).body));
      expect(finished.map((job) => job.status)).toEqual(items.map(() => 'completed'));
      expect(finished.map((job) => job.type)).toEqual(items.map((item) => item.type));
    });

    it('keeps every record\'s payload exactly as sent: quotes, backslashes, braces, commas, non-ASCII, nulls', async () => {
      const tenant = newTenant();
      const awkward = ['say "hi"', 'C:\\tickets\\', '{a,b}', 'NULL', 'é ü 席 🎟', '', "it's"];
      const items = awkward.map((text, index) => ({
        type: 'email-send',
        data: { ...VALID_PAYLOADS['email-send'], data: { orderId: `ord_${index}`, text, list: [text, null, { nested: text }] } },
      }));
      const response = await batch(test, tenant.admin, items).expect(201);
      const ids: string[] = response.body.jobs.map((job: { id: string }) => job.id);
      const rows: Array<{ id: string; data: unknown; origin: string; priority: number; parent_job_id: string | null }> = await test.app
        .get(DataSource).query(`SELECT id, data, origin, priority, parent_job_id FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      ids.forEach((id, index) => {
        expect(byId.get(id)).toEqual({ id, data: items[index].data, origin: 'api', priority: expect.any(Number), parent_job_id: null });
      });
    });

    it('is open to venue admins and closed to users', async () => {
      const tenant = newTenant();
      const items = [{ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }];
      await batch(test, tenant.venueAdmin, items).expect(201);
      expectErrorBody(await batch(test, tenant.user, items), 403, 'Forbidden');
    });

    it('rejects the whole batch for one bad item, naming each by index and field, and creates nothing', async () => {
      const tenant = newTenant();
      const items = [
        { type: 'payment-process', data: VALID_PAYLOADS['payment-process'] },
        { type: 'email-send', data: VALID_PAYLOADS['email-send'] },
        { type: 'payment-process', data: paymentData({ amount: -5 }) },
        { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] },
        { type: 'nft-mint', data: { ...VALID_PAYLOADS['nft-mint'], recipientWallet: 'nope' } },
      ];
      const response = await batch(test, tenant.admin, items);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs.2.data.amount', 'jobs.4.data.recipientWallet']);
      for (const queue of ['money', 'communication', 'background']) {
        expect(await tenantJobCount(test, tenant.user, queue)).toBe(0);
      }
    });

    it('names an unknown type by its index', async () => {
      const tenant = newTenant();
      const response = await batch(test, tenant.admin, [
        { type: 'payment-process', data: VALID_PAYLOADS['payment-process'] },
        { type: 'teleport', data: {} },
      ]);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs.1.type']);
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(0);
    });

    it.each<[string, unknown]>([
      ['an empty batch', []],
      ['more than 1000 items', Array.from({ length: 1001 }, () => ({ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }))],
      ['jobs that is no list', { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }],
    ])('rejects %s', async (_case, jobs) => {
      const tenant = newTenant();
      const response = await batch(test, tenant.admin, jobs);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs']);
      expect(await tenantJobCount(test, tenant.user, 'background')).toBe(0);
    });

    it('accepts exactly 1000 items', async () => {
      const tenant = newTenant();
      const jobs = Array.from({ length: 1000 }, () => ({ type: 'scheduled-task', data: VALID_PAYLOADS['scheduled-task'], options: { delay: 60_000 } }));
      const response = await batch(test, tenant.admin, jobs).expect(201);
      expect(response.body.jobs).toHaveLength(1000);
      expect(new Set(response.body.jobs.map((job: { id: string }) => job.id)).size).toBe(1000);
      // They would only clutter the queue: cleared again by an admin.
      await test.http().post('/queues/background/clear').set(auth(tenant.admin)).expect(200);
    });

    it('accepts 1000 payment jobs of ordinary size (the body limit fits the batch limit)', async () => {
      const tenant = newTenant();
      const jobs = Array.from({ length: 1000 }, (_, index) => ({
        type: 'payment-process',
        data: paymentData({ orderId: `ord_${index}`, customerEmail: 'fan@example.com' }),
        options: { delay: 60_000, idempotencyKey: `ord_${index}-pay` },
      }));
      const response = await batch(test, tenant.admin, jobs);
      expect(response.status).toBe(201);
      expect(response.body.jobs).toHaveLength(1000);
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(1000);
      await test.http().post('/queues/money/clear').set(auth(tenant.admin)).expect(200);
    });

    it('rejects an idempotency key used twice within the batch, and creates nothing', async () => {
      const tenant = newTenant();
      const payment = VALID_PAYLOADS['payment-process'];
      const response = await batch(test, tenant.admin, [
        { type: 'payment-process', data: payment, options: { idempotencyKey: 'ord-1-pay' } },
        { type: 'payment-process', data: { ...payment, orderId: 'ord_2' }, options: { idempotencyKey: 'ord-2-pay' } },
        { type: 'payment-process', data: { ...payment, orderId: 'ord_3' }, options: { idempotencyKey: 'ord-1-pay' } },
      ]);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs.2.options.idempotencyKey']);
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(0);
    });
  });
});
