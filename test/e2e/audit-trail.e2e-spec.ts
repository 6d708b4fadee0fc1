import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DeadLetterRecorder } from '../../src/dead-letters/dead-letter-recorder';
import { DeadLetterJob } from '../../src/dead-letters/dead-letter.entity';
import { TenantScope } from '../../src/database/tenant-scope';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auditedCall, AuditRow, auditRowOf, auditRowsOf, Method, newRequestId, SCHEDULE } from '../support/audit-rows';
import { board, dashboardCookie } from '../support/dashboard-session';
import { auth, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, VALID_PAYLOADS } from '../support/payloads';
import { resumeAll } from '../support/queue-state';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';
import { settledBullJob, waitForJobToFinish } from '../support/wait-for';

/** Pausing queues writes the `queues` row every app re-applies at start-up: a database of its own. */
const database = privateDatabaseForThisFile();

const ENDPOINT = { url: 'https://venue.example.com/hooks', events: ['payment.completed'] };

/** Every operator action writes one row with its outcome; see audit-log.e2e-spec.ts for reading and keeping it. */
describe('Audit trail: what is recorded', () => {
  let test: TestApp;
  // A venue (tenant A) with its venue admin and user, and a platform operator of another home tenant.
  const venue = newTenant();
  const venueAdmin = tokenFor({ tenantId: venue.tenantId, roles: ['venue_admin'], sub: 'venue-admin-a' });
  const venueUser = tokenFor({ tenantId: venue.tenantId, roles: ['user'], sub: 'user-a' });
  const operatorHome = randomUUID();
  const operator = tokenFor({ tenantId: operatorHome, roles: ['admin'], sub: 'operator-1' });
  const asVenueAdmin = { token: venueAdmin, tenantId: venue.tenantId, actor: 'venue-admin-a', roles: ['venue_admin'] };
  const asOperator = { token: operator, tenantId: operatorHome, actor: 'operator-1', roles: ['admin'] };
  type Caller = typeof asVenueAdmin;

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    if (test) await resumeAll(test);
    await test?.close();
  });

  const call = (method: Method, path: string, token: string, body?: object) => auditedCall(test, method, path, token, body);
  const rowsOf = (requestId: string): Promise<AuditRow[]> => auditRowsOf(test, requestId);
  const rowOf = (requestId: string): Promise<AuditRow> => auditRowOf(test, requestId);

  async function seedDeadLetter(tenantId: string): Promise<DeadLetterJob> {
    const jobId = randomUUID();
    await test.app.get(DeadLetterRecorder).record({
      tenantId, jobId, queue: 'money', type: 'payment-process', data: VALID_PAYLOADS['payment-process'],
      idempotencyKey: null, errorType: 'card_declined', errorMessage: 'Your card was declined.', attempts: 1,
      firstFailedAt: new Date(), lastFailedAt: new Date(),
    });
    return test.app.get(TenantScope).run(tenantId, (manager) => manager.findOneByOrFail(DeadLetterJob, { jobId }));
  }

  async function failedPayment(): Promise<string> {
    const { id } = await submitOk(test, venueUser, 'payment-process', { ...DECLINED_PAYMENT, orderId: `ord_${randomUUID().slice(0, 8)}` });
    expect(await waitForJobToFinish(test, venueUser, id)).toMatchObject({ status: 'failed' });
    await settledBullJob(test, 'money', id);
    return id;
  }

  async function delayedPayment(): Promise<string> {
    const data = { ...VALID_PAYLOADS['payment-process'], orderId: `ord_${randomUUID().slice(0, 8)}` };
    return (await submitOk(test, venueUser, 'payment-process', data, { delay: 60_000 })).id;
  }

  const created = async (method: Method, path: string, body?: object): Promise<string> => {
    const { response } = call(method, path, venueAdmin, body);
    const answer = await response;
    expect(answer.status).toBe(201);
    return answer.body.id;
  };

  interface ActionCase {
    action: string;
    caller: Caller;
    /** Performs the action (after any set-up) and answers what the row must say. */
    perform: () => Promise<{ requestId: string; response: Response; target: string | null; details?: Record<string, unknown> }>;
    status: number;
  }

  /** Set-up, then one audited request. */
  const request = (method: Method, path: string, caller: Caller, body?: object, target: string | null = null, details?: Record<string, unknown>) =>
    async () => {
      const { requestId, response } = call(method, path, caller.token, body);
      return { requestId, response: await response, target, details };
    };

  const ACTIONS: ActionCase[] = [
    {
      action: 'job.batch-submit', caller: asVenueAdmin, status: 201,
      perform: request('post', '/jobs/batch', asVenueAdmin,
        { jobs: [{ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }, { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }] },
        null, { submitted: 2, accepted: 2 }),
    },
    {
      action: 'job.retry', caller: asVenueAdmin, status: 202,
      perform: async () => {
        const id = await failedPayment();
        return request('post', `/jobs/${id}/retry`, asVenueAdmin, undefined, id)();
      },
    },
    {
      action: 'job.cancel', caller: asVenueAdmin, status: 200,
      perform: async () => {
        const id = await delayedPayment();
        return request('delete', `/jobs/${id}`, asVenueAdmin, undefined, id)();
      },
    },
    { action: 'queue.pause', caller: asOperator, status: 200, perform: request('post', '/queues/background/pause', asOperator, undefined, 'background') },
    { action: 'queue.resume', caller: asOperator, status: 200, perform: request('post', '/queues/background/resume', asOperator, undefined, 'background') },
    {
      action: 'queue.clear', caller: asOperator, status: 200,
      perform: async () => {
        await submitOk(test, venueUser, 'analytics-process', undefined, { delay: 60_000 });
        const done = await request('post', '/queues/background/clear', asOperator, undefined, 'background')();
        expect(done.response.body.removed).toBeGreaterThanOrEqual(1);
        return { ...done, details: { removed: done.response.body.removed } };
      },
    },
    {
      action: 'dlq.delete', caller: asVenueAdmin, status: 204,
      perform: async () => {
        const entry = await seedDeadLetter(venue.tenantId);
        return request('delete', `/dlq/${entry.id}`, asVenueAdmin, undefined, entry.id)();
      },
    },
    {
      action: 'dlq.retry', caller: asVenueAdmin, status: 202,
      perform: async () => {
        const entry = await seedDeadLetter(venue.tenantId);
        return request('post', `/dlq/${entry.id}/retry`, asVenueAdmin, undefined, entry.id)();
      },
    },
    {
      action: 'dlq.bulk-retry', caller: asVenueAdmin, status: 200,
      perform: async () => {
        const ids = [(await seedDeadLetter(venue.tenantId)).id, (await seedDeadLetter(venue.tenantId)).id];
        return request('post', '/dlq/retry', asVenueAdmin, { ids }, null, { byFilter: false, requested: 2, retried: 2, notRetried: 0 })();
      },
    },
    {
      action: 'dlq.export', caller: asVenueAdmin, status: 200,
      perform: async () => {
        await seedDeadLetter(venue.tenantId);
        return request('get', '/dlq/export?format=csv', asVenueAdmin, undefined, null, { format: 'csv' })();
      },
    },
    { action: 'emergency.stop', caller: asOperator, status: 200, perform: request('post', '/rate-limits/emergency-stop', asOperator) },
    { action: 'emergency.resume', caller: asOperator, status: 200, perform: request('post', '/rate-limits/resume', asOperator) },
    { action: 'rate-limit.reset', caller: asOperator, status: 200, perform: request('post', '/rate-limits/reset/stripe', asOperator, undefined, 'stripe') },
    {
      action: 'schedule.create', caller: asVenueAdmin, status: 201,
      perform: async () => {
        const { requestId, response } = call('post', '/schedules', venueAdmin, SCHEDULE);
        const answer = await response;
        return { requestId, response: answer, target: answer.body.id };
      },
    },
    {
      action: 'schedule.update', caller: asVenueAdmin, status: 200,
      perform: async () => {
        const id = await created('post', '/schedules', { ...SCHEDULE, name: 'to-update' });
        return request('patch', `/schedules/${id}`, asVenueAdmin, { enabled: false }, id)();
      },
    },
    {
      action: 'schedule.delete', caller: asVenueAdmin, status: 204,
      perform: async () => {
        const id = await created('post', '/schedules', { ...SCHEDULE, name: 'to-delete' });
        return request('delete', `/schedules/${id}`, asVenueAdmin, undefined, id)();
      },
    },
    {
      action: 'alert.test', caller: asOperator, status: 200,
      perform: async () => {
        const { requestId, response } = call('post', '/alerts/test', operator);
        const answer = await response;
        return { requestId, response: answer, target: answer.body.alert.id };
      },
    },
    {
      action: 'alert.acknowledge', caller: asOperator, status: 200,
      perform: async () => {
        const { body } = await test.http().post('/alerts/test').set(auth(operator)).expect(200);
        return request('post', `/alerts/${body.alert.id}/acknowledge`, asOperator, undefined, body.alert.id)();
      },
    },
    {
      action: 'webhook-endpoint.create', caller: asVenueAdmin, status: 201,
      perform: async () => {
        const { requestId, response } = call('post', '/webhook-endpoints', venueAdmin, ENDPOINT);
        const answer = await response;
        return { requestId, response: answer, target: answer.body.id };
      },
    },
    {
      action: 'webhook-endpoint.update', caller: asVenueAdmin, status: 200,
      perform: async () => {
        const id = await created('post', '/webhook-endpoints', ENDPOINT);
        return request('patch', `/webhook-endpoints/${id}`, asVenueAdmin, { enabled: false }, id)();
      },
    },
    {
      action: 'webhook-endpoint.rotate-secret', caller: asVenueAdmin, status: 200,
      perform: async () => {
        const id = await created('post', '/webhook-endpoints', ENDPOINT);
        return request('post', `/webhook-endpoints/${id}/rotate-secret`, asVenueAdmin, undefined, id)();
      },
    },
    {
      action: 'webhook-endpoint.delete', caller: asVenueAdmin, status: 204,
      perform: async () => {
        const id = await created('post', '/webhook-endpoints', ENDPOINT);
        return request('delete', `/webhook-endpoints/${id}`, asVenueAdmin, undefined, id)();
      },
    },
    { action: 'monitoring.stop', caller: asOperator, status: 200, perform: request('post', '/monitoring/stop', asOperator) },
    { action: 'monitoring.start', caller: asOperator, status: 200, perform: request('post', '/monitoring/start', asOperator) },
    { action: 'monitoring.check', caller: asOperator, status: 200, perform: request('post', '/monitoring/check', asOperator) },
    { action: 'dashboard.session-open', caller: asOperator, status: 201, perform: request('post', '/admin/queues/session', asOperator) },
    {
      action: 'cache.flush', caller: asOperator, status: 200,
      perform: async () => {
        const done = await request('delete', '/cache/flush', asOperator)();
        return { ...done, details: { flushed: done.response.body.flushed } };
      },
    },
  ];

  const performed = new Map<string, string>();

  it.each(ACTIONS.map((entry) => [entry.action, entry] as const))('%s through the API writes exactly one row with its fields', async (action, entry) => {
    const { requestId, response, target, details } = await entry.perform();
    expect(response.status).toBe(entry.status);
    const row = await rowOf(requestId);
    expect(row).toMatchObject({
      tenant_id: entry.caller.tenantId, actor: entry.caller.actor, roles: entry.caller.roles,
      action, target, request_id: requestId, outcome: 'succeeded', status_code: entry.status,
    });
    if (details) expect(row.details).toEqual(details);
    expect(Math.abs(row.occurred_at.getTime() - Date.now())).toBeLessThan(60_000);
    performed.set(action, requestId);
  });

  it('wrote no second row for any of those actions once every response had closed', async () => {
    // Each of them was settled by the interceptor; the close of its response must not add another.
    expect(performed.size).toBe(ACTIONS.length);
    for (const requestId of performed.values()) expect(await rowsOf(requestId)).toHaveLength(1);
  });

  describe('dashboard changes, made through the service as the session admin', () => {
    it.each([
      ['job.retry', 'retry'],
      ['job.cancel', 'clean'],
    ])('records %s', async (action, verb) => {
      const cookie = await dashboardCookie(test, operator);
      const id = verb === 'retry' ? await failedPayment() : await delayedPayment();
      const requestId = newRequestId();
      // Whatever the service answers the session's admin (today 404: the job is not of its home tenant), the trail says it.
      const response = await board(test).put(`/admin/queues/api/queues/money/${id}/${verb}`).set('Cookie', cookie).set('X-Request-Id', requestId);
      expect([204, 404]).toContain(response.status);
      expect(await rowOf(requestId)).toMatchObject({
        tenant_id: operatorHome, actor: 'operator-1', action, target: id,
        outcome: response.status < 400 ? 'succeeded' : 'refused', status_code: response.status,
        details: { via: 'dashboard', queue: 'money' },
      });
    });

    it('records a pause and a resume of a queue', async () => {
      const cookie = await dashboardCookie(test, operator);
      for (const verb of ['pause', 'resume']) {
        const requestId = newRequestId();
        const response = await board(test).put(`/admin/queues/api/queues/communication/${verb}`).set('Cookie', cookie).set('X-Request-Id', requestId);
        expect(response.status).toBe(200);
        expect(await rowOf(requestId)).toMatchObject({
          actor: 'operator-1', action: `queue.${verb}`, target: 'communication', outcome: 'succeeded', status_code: 200, details: { via: 'dashboard' },
        });
      }
    });
  });

  describe('refused actions', () => {
    it.each([
      ['a user refused by the roles guard (403)', () => call('post', `/dlq/${randomUUID()}/retry`, venueUser), 403, 'dlq.retry', 'user-a'],
      ['an unknown job (404)', () => call('post', `/jobs/${randomUUID()}/retry`, venueAdmin), 404, 'job.retry', 'venue-admin-a'],
      ['an id that is not a UUID (400, from the pipe)', () => call('delete', '/jobs/not-a-uuid', venueAdmin), 400, 'job.cancel', 'venue-admin-a'],
      ['an unknown queue (404, from the pipe)', () => call('post', '/queues/nosuch/pause', operator), 404, 'queue.pause', 'operator-1'],
      ['a venue admin pausing a queue (403)', () => call('post', '/queues/money/pause', venueAdmin), 403, 'queue.pause', 'venue-admin-a'],
      ['a venue admin stopping every tenant (403)', () => call('post', '/rate-limits/emergency-stop', venueAdmin), 403, 'emergency.stop', 'venue-admin-a'],
      ['an invalid schedule (400)', () => call('post', '/schedules', venueAdmin, { ...SCHEDULE, cron: 'every night' }), 400, 'schedule.create', 'venue-admin-a'],
    ])('records %s as refused with its status', async (_what, perform, status, action, actor) => {
      const { requestId, response } = perform();
      expect((await response).status).toBe(status);
      expect(await rowOf(requestId)).toMatchObject({ action, actor, outcome: 'refused', status_code: status, request_id: requestId });
    });

    it('records a conflict (409) with its target', async () => {
      const id = await delayedPayment();
      const { requestId, response } = call('post', `/jobs/${id}/retry`, venueAdmin);
      expect((await response).status).toBe(409);
      expect(await rowOf(requestId)).toMatchObject({ action: 'job.retry', target: id, outcome: 'refused', status_code: 409 });
    });

    it('records nothing for a request without a valid token: there is no actor', async () => {
      const requestId = newRequestId();
      await test.http().post('/queues/money/pause').set('X-Request-Id', requestId).expect(401);
      // An audited request answered after it has its row, so this one had every chance to write.
      const control = call('post', '/queues/nosuch/pause', operator);
      expect((await control.response).status).toBe(404);
      await rowOf(control.requestId);
      expect(await rowsOf(requestId)).toEqual([]);
    });

    it('records no row for reads that are not operator actions', async () => {
      const { requestId, response } = call('get', '/queues/money/status', operator);
      expect((await response).status).toBe(200);
      const control = call('post', '/queues/nosuch/resume', operator);
      await control.response;
      await rowOf(control.requestId);
      expect(await rowsOf(requestId)).toEqual([]);
    });
  });

  it('records a read that asks for personal data, whatever its answer', async () => {
    const { requestId, response } = call('get', '/queues/money/jobs?includePersonalData=true', operator);
    const answer = await response;
    expect(await rowOf(requestId)).toMatchObject({
      tenant_id: operatorHome, actor: 'operator-1', action: 'personal-data.read', target: '/queues/money/jobs',
      outcome: answer.status < 400 ? 'succeeded' : 'refused', status_code: answer.status, details: { method: 'GET' },
    });
  });
});
