import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, idsOf, listJobs, submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';

type Tenant = ReturnType<typeof newTenant>;

/**
 * An admin's listing pages every tenant's jobs, newest first: on the shared database, other
 * files' jobs would push this file's off the page. A database of its own.
 */
const database = privateDatabaseForThisFile();

describe('Queues', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await test?.close();
  });

  describe('GET /queues/:name/jobs', () => {
    let tenantA: Tenant;
    let tenantB: Tenant;
    const money = { completed: [] as string[], delayed: '', other: '' };
    const background = { a: [] as string[], b: [] as string[] };

    beforeAll(async () => {
      [tenantA, tenantB] = [newTenant(), newTenant()];
      for (let index = 0; index < 5; index += 1) {
        const { id } = await submitOk(test, tenantA.user, 'payment-process', paymentData({ orderId: `ord_${index}` }));
        await waitForJobToFinish(test, tenantA.user, id);
        money.completed.unshift(id); // newest first, as listed
      }
      money.delayed = (await submitOk(test, tenantA.venueAdmin, 'refund-process', undefined, { delay: 60_000 })).id;
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
});
