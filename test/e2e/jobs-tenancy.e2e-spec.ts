import { randomUUID } from 'node:crypto';
import type { ClientJobType as JobType } from '../../src/job-definitions/job-types';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, getJob, submit, submitOk, tenantJobCount } from '../support/job-requests';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish, waitForQueuesIdle } from '../support/wait-for';

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

  describe('GET /jobs/:id', () => {
    it.each<[string, JobType]>([
      ['a persisted (money) job', 'payment-process'],
      ['a Redis-only (background) job', 'analytics-process'],
    ])('answers 404 for another tenant’s %s, exactly as for a missing id', async (_case, type) => {
      const [owner, other] = [newTenant(), newTenant()];
      const { id } = await submitOk(test, owner.user, type);
      await waitForJobToFinish(test, owner.user, id);

      const missingId = randomUUID();
      const missing = await getJob(test, other.admin, missingId);
      for (const token of [other.user, other.venueAdmin, other.admin]) {
        const foreign = await getJob(test, token, id);
        expectErrorBody(foreign, 404, 'Not Found');
        expect({ ...foreign.body, message: foreign.body.message.replace(id, ':id'), requestId: '' }).toEqual({
          ...missing.body,
          message: missing.body.message.replace(missingId, ':id'),
          requestId: '',
        });
      }
      // Nor can the other tenant retry or cancel it.
      expectErrorBody(await test.http().post(`/jobs/${id}/retry`).set(auth(other.admin)), 404, 'Not Found');
      expectErrorBody(await test.http().delete(`/jobs/${id}`).set(auth(other.admin)), 404, 'Not Found');
      // The owner still sees it.
      await getJob(test, owner.user, id).expect(200);
    });
  });

  describe('idempotency keys', () => {
    it('the same key twice from one tenant answers 200 with the first job', async () => {
      const tenant = newTenant();
      const body = { type: 'payment-process', data: VALID_PAYLOADS['payment-process'], options: { idempotencyKey: 'ord_1-pay' } };
      const first = await submit(test, tenant.user, body).expect(201);
      const second = await submit(test, tenant.user, body).expect(200);
      expect(second.body).toMatchObject({ id: first.body.id, queue: 'money', type: 'payment-process' });
      await waitForJobToFinish(test, tenant.user, first.body.id);
      const third = await submit(test, tenant.user, body).expect(200);
      expect(third.body).toEqual({ id: first.body.id, queue: 'money', type: 'payment-process', status: 'completed' });
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(1);
    });

    it('the same key from another tenant makes a new job', async () => {
      const [first, second] = [newTenant(), newTenant()];
      const body = { type: 'payment-process', data: VALID_PAYLOADS['payment-process'], options: { idempotencyKey: `shared-${randomUUID()}` } };
      const a = await submit(test, first.user, body).expect(201);
      const b = await submit(test, second.user, body).expect(201);
      expect(b.body.id).not.toBe(a.body.id);
      await waitForQueuesIdle(test, ['money']);
      expect(await tenantJobCount(test, first.user, 'money')).toBe(1);
      expect(await tenantJobCount(test, second.user, 'money')).toBe(1);
    });
  });
});
