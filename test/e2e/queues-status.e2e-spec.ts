import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT } from '../support/payloads';
import { expectQueueStatus } from '../support/queue-state';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForQueuesIdle } from '../support/wait-for';

const QUEUES = ['money', 'communication', 'background'] as const;

// Recovery in an app on the shared database re-adds other apps' pending jobs to its own queues,
// which would keep them from going idle: a database of its own.
const database = privateDatabaseForThisFile();

describe('Queues', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await test?.close();
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
      await submitOk(test, tenant.user, 'payment-process');
      await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
      // Counted once Bull has filed both jobs (the record is final a moment earlier), and seen once
      // the cached status (QUEUE_STATUS_CACHE_MS) has expired: workers' progress does not invalidate it.
      await waitForQueuesIdle(test, ['money']);
      const after = await waitFor(async () => {
        const counts = (await test.http().get('/queues/money/status').set(auth(tenant.user)).expect(200)).body.counts;
        return counts.completed === before.completed + 1 ? counts : undefined;
      }, 5_000, 'the completed count');
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
});
