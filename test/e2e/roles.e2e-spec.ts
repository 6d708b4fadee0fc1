import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { TenantScope } from '../../src/database/tenant-scope';
import { AlertRecords } from '../../src/monitoring/alert-records';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { board, dashboardCookie } from '../support/dashboard-session';
import { expectErrorBody } from '../support/error-body';
import { auth, getJob, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, paymentData, VALID_PAYLOADS } from '../support/payloads';
import { startTestApp, TestApp, tokenFor } from '../support/test-app';
import { JobBody, settledBullJob, waitFor, waitForJobToFinish } from '../support/wait-for';

/**
 * The role model (README "Who may do what") on two tenants and every role. A platform
 * operator's listing pages every tenant's jobs: on the shared database other files' jobs would
 * push this file's off the page, so a database of its own.
 */
const database = privateDatabaseForThisFile();

const ROOT = resolve(__dirname, '../..');

/** `npm run token -- <args>`, as a developer runs it (ts-node on scripts/dev-token.ts). */
async function devToken(...args: string[]): Promise<{ token: string; said: string }> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [require.resolve('ts-node/dist/bin.js'), '--transpile-only', 'scripts/dev-token.ts', ...args],
    { cwd: ROOT, env: process.env, timeout: 60_000 },
  );
  return { token: stdout.trim(), said: stderr.trim() };
}

/** What tenant B's jobs carry that no one of tenant A may read, and an operator only when asking. */
const B_SECRETS = {
  email: 'b-fan@venue-b.example',
  phone: '+14155550999',
  smsBody: 'Your venue B code is 424242',
  card: 'pm_card_venue_b',
  analytics: 'venue-b-visitor',
};
const B_PATTERN = /venue-b|venue B|\+14155550999|424242/;

interface TenantActors {
  tenantId: string;
  operator: string;
  venueAdmin: string;
  alice: string;
  bob: string;
}

function actorsOf(tenantId: string): TenantActors {
  return {
    tenantId,
    operator: tokenFor({ tenantId, roles: ['admin'], sub: 'ops' }),
    venueAdmin: tokenFor({ tenantId, roles: ['venue_admin'], sub: 'manager' }),
    alice: tokenFor({ tenantId, roles: ['user'], sub: 'alice' }),
    bob: tokenFor({ tenantId, roles: ['user'], sub: 'bob' }),
  };
}

describe('Who may do what', () => {
  let test: TestApp;
  const A = actorsOf(randomUUID());
  const B = actorsOf(randomUUID());
  const a = { payment: '', failed: '', delayed: '', analytics: '', analyticsDelayed: '', bobPayment: '', bobAnalytics: '' };
  const b = { payment: '', sms: '', failed: '', delayed: '', analytics: '', analyticsDelayed: '', dlqEntry: '', schedule: '', endpoint: '', alert: '' };

  const as = (token: string) => ({
    get: (path: string) => test.http().get(path).set(auth(token)),
    post: (path: string, body: object = {}) => test.http().post(path).set(auth(token)).send(body),
    patch: (path: string, body: object) => test.http().patch(path).set(auth(token)).send(body),
    delete: (path: string) => test.http().delete(path).set(auth(token)),
  });
  const itemsOf = async (token: string, queue: string, query = '') =>
    (await as(token).get(`/queues/${queue}/jobs?limit=100${query}`).expect(200)).body.items as JobBody[];

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });

    // Tenant A: alice's jobs (one fails, one waits a minute), and one of bob's of each queue kind.
    a.payment = (await submitOk(test, A.alice, 'payment-process', paymentData({ customerEmail: 'alice@venue-a.example' }))).id;
    a.failed = (await submitOk(test, A.alice, 'payment-process', { ...DECLINED_PAYMENT, orderId: 'ord_a_declined' })).id;
    a.delayed = (await submitOk(test, A.alice, 'sms-send', undefined, { delay: 600_000 })).id;
    a.analytics = (await submitOk(test, A.alice, 'analytics-process')).id;
    a.analyticsDelayed = (await submitOk(test, A.alice, 'analytics-process', undefined, { delay: 600_000 })).id;
    a.bobPayment = (await submitOk(test, A.bob, 'payment-process', paymentData({ orderId: 'ord_bob' }))).id;
    a.bobAnalytics = (await submitOk(test, A.bob, 'analytics-process')).id;

    // Tenant B: personal data in every queue, a failed job with its dead-letter entry, a schedule,
    // a webhook endpoint and an alert.
    b.payment = (await submitOk(test, B.alice, 'payment-process', paymentData({
      orderId: 'ord_b', paymentMethodId: B_SECRETS.card, customerEmail: B_SECRETS.email,
    }))).id;
    b.sms = (await submitOk(test, B.alice, 'sms-send', { to: B_SECRETS.phone, body: B_SECRETS.smsBody })).id;
    b.failed = (await submitOk(test, B.alice, 'payment-process', { ...DECLINED_PAYMENT, orderId: 'ord_b_declined', customerEmail: B_SECRETS.email })).id;
    b.delayed = (await submitOk(test, B.alice, 'sms-send', { to: B_SECRETS.phone, body: B_SECRETS.smsBody }, { delay: 600_000 })).id;
    b.analytics = (await submitOk(test, B.alice, 'analytics-process', { event: 'ticket.scanned', properties: { visitor: B_SECRETS.analytics } })).id;
    b.analyticsDelayed = (await submitOk(test, B.alice, 'analytics-process', undefined, { delay: 600_000 })).id;

    for (const [token, id] of [
      [A.alice, a.payment], [A.alice, a.failed], [A.alice, a.analytics], [A.bob, a.bobPayment], [A.bob, a.bobAnalytics],
      [B.alice, b.payment], [B.alice, b.sms], [B.alice, b.failed], [B.alice, b.analytics],
    ]) await waitForJobToFinish(test, token, id);
    await settledBullJob(test, 'money', a.failed);
    await settledBullJob(test, 'money', b.failed);

    b.dlqEntry = await waitFor(async () => {
      const page = (await as(B.venueAdmin).get('/dlq').expect(200)).body as { items: { id: string; jobId: string }[] };
      return page.items.find((entry) => entry.jobId === b.failed)?.id;
    }, 15_000, "B's dead-letter entry");
    b.schedule = (await as(B.venueAdmin).post('/schedules', {
      name: 'b-nightly', cron: '0 30 2 * * *', jobType: 'analytics-process', jobData: VALID_PAYLOADS['analytics-process'],
    }).expect(201)).body.id;
    b.endpoint = (await as(B.venueAdmin).post('/webhook-endpoints', {
      url: 'https://venue-b.example/hooks', events: ['payment.completed'],
    }).expect(201)).body.id;
    b.alert = await test.app.get(TenantScope).run(B.tenantId, (manager) => test.app.get(AlertRecords).insertIn(manager, {
      tenantId: B.tenantId, severity: 'warning', kind: 'role.test', queue: null, message: 'An alert of venue B', details: {},
    }));
  }, 120_000);
  afterAll(async () => {
    await test?.close();
  });

  describe('a user of a venue', () => {
    it("answers 404 for another user's job of the same tenant, exactly as for a missing one, persisted or Redis-only", async () => {
      const missingId = randomUUID();
      const missing = await getJob(test, A.bob, missingId);
      for (const id of [a.payment, a.failed, a.delayed, a.analytics, a.analyticsDelayed]) {
        const foreign = await getJob(test, A.bob, id);
        expectErrorBody(foreign, 404, 'Not Found');
        expect({ ...foreign.body, message: foreign.body.message.replace(id, ':id'), requestId: '' })
          .toEqual({ ...missing.body, message: missing.body.message.replace(missingId, ':id'), requestId: '' });
      }
      await getJob(test, A.alice, a.payment).expect(200);
      await getJob(test, A.bob, a.bobPayment).expect(200);
      await getJob(test, A.bob, a.bobAnalytics).expect(200);
    });

    it("cannot retry or cancel another user's job (404), which stays as it was", async () => {
      expectErrorBody(await as(A.bob).post(`/jobs/${a.failed}/retry`), 404, 'Not Found');
      expectErrorBody(await as(A.bob).delete(`/jobs/${a.delayed}`), 404, 'Not Found');
      expectErrorBody(await as(A.bob).delete(`/jobs/${a.analyticsDelayed}`), 404, 'Not Found');
      expect((await getJob(test, A.alice, a.failed).expect(200)).body).toMatchObject({ status: 'failed', attempts: 1 });
      expect((await getJob(test, A.alice, a.delayed).expect(200)).body.status).toBe('delayed');
      expect((await getJob(test, A.alice, a.analyticsDelayed).expect(200)).body.status).toBe('delayed');
    });

    it("is told an idempotency key is taken (422) when it holds another user's job, and is not shown that job", async () => {
      const body = { type: 'sms-send', data: VALID_PAYLOADS['sms-send'], options: { idempotencyKey: `shared-${randomUUID()}` } };
      const first = await as(A.alice).post('/jobs', body).expect(201);
      const taken = await as(A.bob).post('/jobs', body);
      expectErrorBody(taken, 422, 'Unprocessable Entity');
      expect(taken.body.details).toEqual([{ field: 'options.idempotencyKey', message: expect.any(String) }]);
      expect(JSON.stringify(taken.body)).not.toContain(first.body.id);
      expect((await as(A.alice).post('/jobs', body).expect(200)).body.id).toBe(first.body.id);
      expect((await as(A.venueAdmin).post('/jobs', body).expect(200)).body.id).toBe(first.body.id);
      await waitForJobToFinish(test, A.alice, first.body.id);
    });

    it('lists only the jobs it submitted, in every queue', async () => {
      expect((await itemsOf(A.bob, 'money')).map((job) => job.id)).toEqual([a.bobPayment]);
      expect(await itemsOf(A.bob, 'communication')).toEqual([]);
      expect((await itemsOf(A.bob, 'background')).map((job) => job.id)).toEqual([a.bobAnalytics]);
      expect((await itemsOf(A.alice, 'money')).map((job) => job.id).sort()).toEqual([a.payment, a.failed].sort());
      expect((await itemsOf(A.alice, 'background')).map((job) => job.id).sort()).toEqual([a.analytics, a.analyticsDelayed].sort());
    });
  });

  describe('the administrator of a venue', () => {
    it("sees and acts on every job of its tenant, another user's too", async () => {
      const money = (await itemsOf(A.venueAdmin, 'money')).map((job) => job.id);
      expect(money.sort()).toEqual([a.payment, a.failed, a.bobPayment].sort());
      expect((await itemsOf(A.venueAdmin, 'background')).map((job) => job.id).sort())
        .toEqual([a.analytics, a.analyticsDelayed, a.bobAnalytics].sort());
      await getJob(test, A.venueAdmin, a.delayed).expect(200);
      expect((await as(A.venueAdmin).delete(`/jobs/${a.analyticsDelayed}`).expect(200)).body.status).toBe('cancelled');
      await as(A.venueAdmin).post(`/jobs/${a.failed}/retry`).expect(202);
      expect(await waitForJobToFinish(test, A.alice, a.failed)).toMatchObject({ status: 'failed' });
    });

    it("answers 404 for every route that names another tenant's job, entry, schedule, endpoint or alert", async () => {
      const venueAdmin = as(A.venueAdmin);
      const calls = [
        ['GET', `/jobs/${b.payment}`, venueAdmin.get(`/jobs/${b.payment}`)],
        ['GET', `/jobs/${b.analytics}`, venueAdmin.get(`/jobs/${b.analytics}`)],
        ['POST', `/jobs/${b.failed}/retry`, venueAdmin.post(`/jobs/${b.failed}/retry`)],
        ['DELETE', `/jobs/${b.delayed}`, venueAdmin.delete(`/jobs/${b.delayed}`)],
        ['DELETE', `/jobs/${b.analyticsDelayed}`, venueAdmin.delete(`/jobs/${b.analyticsDelayed}`)],
        ['GET', `/dlq/${b.dlqEntry}`, venueAdmin.get(`/dlq/${b.dlqEntry}`)],
        ['POST', `/dlq/${b.dlqEntry}/retry`, venueAdmin.post(`/dlq/${b.dlqEntry}/retry`)],
        ['DELETE', `/dlq/${b.dlqEntry}`, venueAdmin.delete(`/dlq/${b.dlqEntry}`)],
        ['GET', `/schedules/${b.schedule}`, venueAdmin.get(`/schedules/${b.schedule}`)],
        ['PATCH', `/schedules/${b.schedule}`, venueAdmin.patch(`/schedules/${b.schedule}`, { enabled: false })],
        ['DELETE', `/schedules/${b.schedule}`, venueAdmin.delete(`/schedules/${b.schedule}`)],
        ['GET', `/webhook-endpoints/${b.endpoint}`, venueAdmin.get(`/webhook-endpoints/${b.endpoint}`)],
        ['PATCH', `/webhook-endpoints/${b.endpoint}`, venueAdmin.patch(`/webhook-endpoints/${b.endpoint}`, { enabled: false })],
        ['POST', `/webhook-endpoints/${b.endpoint}/rotate-secret`, venueAdmin.post(`/webhook-endpoints/${b.endpoint}/rotate-secret`)],
        ['GET', `/webhook-endpoints/${b.endpoint}/deliveries`, venueAdmin.get(`/webhook-endpoints/${b.endpoint}/deliveries`)],
        ['DELETE', `/webhook-endpoints/${b.endpoint}`, venueAdmin.delete(`/webhook-endpoints/${b.endpoint}`)],
        ['POST', `/alerts/${b.alert}/acknowledge`, venueAdmin.post(`/alerts/${b.alert}/acknowledge`)],
      ] as const;
      for (const [method, path, call] of calls) {
        const response = await call;
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
        expectErrorBody(response, 404, 'Not Found');
        expect(JSON.stringify(response.body)).not.toMatch(B_PATTERN);
      }
      const bulk = await venueAdmin.post('/dlq/retry', { ids: [b.dlqEntry] }).expect(200);
      expect(bulk.body).toMatchObject({ retried: [], failed: [{ id: b.dlqEntry }] });

      // B's things are as they were.
      expect((await getJob(test, B.alice, b.failed).expect(200)).body).toMatchObject({ status: 'failed', attempts: 1 });
      expect((await getJob(test, B.alice, b.delayed).expect(200)).body.status).toBe('delayed');
      expect((await getJob(test, B.alice, b.analyticsDelayed).expect(200)).body.status).toBe('delayed');
      await as(B.venueAdmin).get(`/dlq/${b.dlqEntry}`).expect(200);
      expect((await as(B.venueAdmin).get(`/schedules/${b.schedule}`).expect(200)).body.enabled).toBe(true);
      expect((await as(B.venueAdmin).get(`/webhook-endpoints/${b.endpoint}`).expect(200)).body.enabled).toBe(true);
      const alerts = (await as(B.venueAdmin).get('/alerts').expect(200)).body.items as { id: string; acknowledgedAt: string | null }[];
      expect(alerts.find((alert) => alert.id === b.alert)).toMatchObject({ acknowledgedAt: null });
    });

    it("never sees another tenant's data in a listing, an export or a count", async () => {
      const venueAdmin = as(A.venueAdmin);
      const reads = [
        '/queues/money/jobs?limit=100', '/queues/communication/jobs?limit=100', '/queues/background/jobs?limit=100',
        '/queues/money/jobs?limit=100&includePersonalData=true', '/queues/communication/jobs?state=delayed&includePersonalData=true',
        '/dlq', '/dlq/stats', '/dlq/failures-by-error', '/dlq/export', '/dlq/export?format=csv',
        '/schedules', '/webhook-endpoints', '/alerts',
      ];
      for (const path of reads) {
        const response = await venueAdmin.get(path).expect(200);
        const seen = response.text || JSON.stringify(response.body);
        expect({ path, leaks: seen.match(B_PATTERN)?.[0] ?? null }).toEqual({ path, leaks: null });
        for (const id of [B.tenantId, ...Object.values(b)]) expect({ path, id, seen: seen.includes(id) }).toEqual({ path, id, seen: false });
      }
    });

    it('is refused (403) on every platform route, as a user is, and nothing changes', async () => {
      const platformCalls: [string, string][] = [
        ['POST', '/queues/money/pause'], ['POST', '/queues/money/resume'], ['POST', '/queues/communication/clear'],
        ['POST', '/rate-limits/emergency-stop'], ['POST', '/rate-limits/resume'], ['POST', '/rate-limits/reset/stripe'],
        ['GET', '/rate-limits'], ['GET', '/rate-limits/status/stripe'],
        ['GET', '/monitoring/status'], ['POST', '/monitoring/start'], ['POST', '/monitoring/stop'], ['POST', '/monitoring/check'],
        ['GET', '/cache/stats'], ['DELETE', '/cache/flush'],
        ['GET', '/metrics/json'], ['GET', '/metrics/queue-stats'], ['GET', '/metrics/system'],
        ['POST', '/alerts/test'], ['POST', '/admin/queues/session'],
      ];
      for (const token of [A.venueAdmin, A.alice]) {
        for (const [method, path] of platformCalls) {
          const response = method === 'GET' ? await as(token).get(path) : method === 'DELETE' ? await as(token).delete(path) : await as(token).post(path);
          expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
        }
      }
      expect((await as(A.operator).get('/queues/money/status').expect(200)).body.paused).toBe(false);
      const [stripe] = (await as(A.operator).get('/rate-limits').expect(200)).body as { emergencyStop: { stopped: boolean } }[];
      expect(stripe.emergencyStop.stopped).toBe(false);
      expect((await getJob(test, B.alice, b.delayed).expect(200)).body.status).toBe('delayed');
      expect((await as(A.operator).get('/monitoring/status').expect(200)).body.running).toBe(true);
    });
  });

  describe('npm run token', () => {
    it('issues a venue admin, a user and a platform operator token that the service reads as such', async () => {
      const venueAdmin = await devToken('--role', 'venue_admin', '--tenant', A.tenantId, '--sub', 'carol');
      expect(venueAdmin.said).toContain(`Venue admin token of tenant ${A.tenantId}`);
      const venueMoney = (await itemsOf(venueAdmin.token, 'money')).map((job) => job.id);
      expect(venueMoney.sort()).toEqual([a.payment, a.failed, a.bobPayment].sort());

      const user = await devToken('--role', 'user', '--tenant', A.tenantId, '--sub', 'bob');
      expect((await itemsOf(user.token, 'money')).map((job) => job.id)).toEqual([a.bobPayment]);
      await as(user.token).post('/queues/money/pause').expect(403);

      // An operator's home tenant defaults to the service tenant: every venue's jobs are another tenant's.
      const operator = await devToken('--role', 'admin');
      expect(operator.said).toContain('Platform operator token');
      const listed = await itemsOf(operator.token, 'money');
      expect(listed.find((job) => job.id === a.payment)).toMatchObject({ data: { customerEmail: '[redacted]' } });
      expect(listed.find((job) => job.id === b.payment)).toMatchObject({ data: { customerEmail: '[redacted]' } });
    }, 120_000);

    it('refuses a venue role without --tenant, and an unknown role', async () => {
      await expect(devToken('--role', 'user')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('give --tenant') });
      await expect(devToken('--role', 'root', '--tenant', A.tenantId)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('Unknown role') });
    }, 120_000);
  });

  describe('a platform operator', () => {
    const redacted = '[redacted]';

    it("lists another tenant's jobs without their personal data, naming each redacted field", async () => {
      const money = await itemsOf(A.operator, 'money');
      const payment = money.find((job) => job.id === b.payment)!;
      expect(payment).toMatchObject({
        tenantId: B.tenantId,
        type: 'payment-process',
        data: { orderId: 'ord_b', amount: 2500, currency: 'usd', paymentMethodId: redacted, customerEmail: redacted },
        redactedFields: ['data.paymentMethodId', 'data.customerEmail'],
      });
      const sms = (await itemsOf(A.operator, 'communication')).find((job) => job.id === b.sms)!;
      expect(sms).toMatchObject({ tenantId: B.tenantId, data: { to: redacted, body: redacted }, redactedFields: ['data.to', 'data.body'] });
      const analytics = (await itemsOf(A.operator, 'background')).find((job) => job.id === b.analytics)!;
      expect(analytics).toMatchObject({ tenantId: B.tenantId, data: { event: 'ticket.scanned', properties: redacted } });
      for (const queue of ['money', 'communication', 'background']) {
        const items = await itemsOf(A.operator, queue);
        const foreign = JSON.stringify(items.filter((job) => job.tenantId !== A.tenantId));
        expect({ queue, leaks: foreign.match(B_PATTERN)?.[0] ?? null }).toEqual({ queue, leaks: null });
      }
      // Its own (home) tenant's jobs are shown as they are.
      expect(money.find((job) => job.id === a.payment)).toMatchObject({
        tenantId: A.tenantId, data: { customerEmail: 'alice@venue-a.example', paymentMethodId: 'pm_card_visa' },
      });
      expect(money.find((job) => job.id === a.payment)).not.toHaveProperty('redactedFields');
    });

    it('shows them with includePersonalData=true', async () => {
      const payment = (await itemsOf(A.operator, 'money', '&includePersonalData=true')).find((job) => job.id === b.payment)!;
      expect(payment.data).toMatchObject({ paymentMethodId: B_SECRETS.card, customerEmail: B_SECRETS.email });
      expect(payment).not.toHaveProperty('redactedFields');
      const sms = (await itemsOf(A.operator, 'communication', '&includePersonalData=true')).find((job) => job.id === b.sms)!;
      expect(sms.data).toEqual({ to: B_SECRETS.phone, body: B_SECRETS.smsBody });
      const analytics = (await itemsOf(A.operator, 'background', '&includePersonalData=true')).find((job) => job.id === b.analytics)!;
      expect(analytics.data).toMatchObject({ properties: { visitor: B_SECRETS.analytics } });
      // Redacted again without it.
      expect((await itemsOf(A.operator, 'money', '&includePersonalData=false')).find((job) => job.id === b.payment)!.data)
        .toMatchObject({ customerEmail: redacted });
    });

    it('sees every tenant\'s jobs in the dashboard with their personal data redacted', async () => {
      const cookie = await dashboardCookie(test, A.operator);
      const listing = await board(test).get('/admin/queues/api/queues?activeQueue=money&status=completed&page=1&jobsPerPage=50')
        .set('Cookie', cookie).expect(200);
      const money = (listing.body.queues as { name: string; jobs: { id: string; data: { payload: Record<string, unknown> } }[] }[])
        .find((queue) => queue.name === 'money')!;
      expect(money.jobs.find((job) => job.id === b.payment)?.data.payload)
        .toMatchObject({ orderId: 'ord_b', paymentMethodId: redacted, customerEmail: redacted });
      expect(JSON.stringify(listing.body).match(B_PATTERN)?.[0] ?? null).toBeNull();
      const one = await board(test).get(`/admin/queues/api/queues/communication/${b.sms}`).set('Cookie', cookie).expect(200);
      expect(one.body.job.data.payload).toEqual({ to: redacted, body: redacted });
      expect(JSON.stringify(one.body).match(B_PATTERN)?.[0] ?? null).toBeNull();
    });

    it('answers 400 naming includePersonalData for a value that is not true or false', async () => {
      const response = await as(A.operator).get('/queues/money/jobs?includePersonalData=yes');
      expectErrorBody(response, 400, 'Bad Request');
      expect(response.body.details.map((detail: { field: string }) => detail.field)).toEqual(['includePersonalData']);
    });

    it("reads and acts on single jobs of its home tenant only: another tenant's job is 404", async () => {
      expectErrorBody(await getJob(test, A.operator, b.payment), 404, 'Not Found');
      expectErrorBody(await as(A.operator).delete(`/jobs/${b.delayed}`), 404, 'Not Found');
      await getJob(test, A.operator, a.payment).expect(200);
    });
  });
});
