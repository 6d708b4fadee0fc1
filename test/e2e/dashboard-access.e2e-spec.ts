import { DASHBOARD_COOKIE, DashboardSessions } from '../../src/dashboard/dashboard-sessions';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { board, dashboardCookie, setCookieOf } from '../support/dashboard-session';
import { expectErrorBody } from '../support/error-body';
import { auth } from '../support/job-requests';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

// The action tests pause queues through the board; the session tests share the app.
const database = privateDatabaseForThisFile();

describe('Queue dashboard: sessions and access', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: database.env() });
  });
  afterAll(async () => {
    await test?.close();
  });

  describe('POST /admin/queues/session', () => {
    it('gives an admin a short-lived, signed, HttpOnly, SameSite=Strict cookie for /admin/queues only', async () => {
      const before = Date.now();
      const response = await test.http().post('/admin/queues/session').set(auth(newTenant().admin));
      expect(response.status).toBe(201);
      expect(response.body.dashboardPath).toBe('/admin/queues');
      const expiresAt = Date.parse(response.body.expiresAt);
      expect(expiresAt).toBeGreaterThan(before + 290_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 300_000);
      const cookie = setCookieOf(response.headers)!;
      expect(cookie).toBeDefined();
      const attributes = cookie.split(';').map((part) => part.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(['path=/admin/queues', 'httponly', 'samesite=strict', 'max-age=300']));
      // The body says where to go, never the cookie's value.
      expect(JSON.stringify(response.body)).not.toContain(cookie.split(';')[0].split('=')[1]);
    });

    it('refuses venue admins and users (403) and callers without a token (401), setting no cookie', async () => {
      const tenant = newTenant();
      for (const token of [tenant.venueAdmin, tenant.user]) {
        const response = await test.http().post('/admin/queues/session').set(auth(token));
        expectErrorBody(response, 403, 'Forbidden');
        expect(setCookieOf(response.headers)).toBeUndefined();
      }
      const anonymous = await test.http().post('/admin/queues/session');
      expectErrorBody(anonymous, 401, 'Unauthorized');
      expect(setCookieOf(anonymous.headers)).toBeUndefined();
    });
  });

  describe('the dashboard', () => {
    it('opens with the cookie: the page, and its API listing the three queues', async () => {
      const cookie = await dashboardCookie(test, newTenant().admin);
      const page = await board(test).get('/admin/queues').set('Cookie', cookie);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const queues = await board(test).get('/admin/queues/api/queues').set('Cookie', cookie);
      expect(queues.status).toBe(200);
      expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(['background', 'communication', 'money']);
    });

    it('answers 401 without a cookie: a page for a browser, the error shape for an API call', async () => {
      const page = await board(test).get('/admin/queues').set('Accept', 'text/html');
      expect(page.status).toBe(401);
      expect(page.text).toContain('POST /admin/queues/session');
      const api = await board(test).get('/admin/queues/api/queues').set('Accept', 'application/json');
      expectErrorBody(api as never, 401, 'Unauthorized');
    });

    it('refuses an altered, a forged and a lapsed cookie (401)', async () => {
      const tenant = newTenant();
      const genuine = (await dashboardCookie(test, tenant.admin)).split('=')[1];
      const [body, signature] = genuine.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url');
      const sessions = test.app.get(DashboardSessions);
      const lapsed = sessions.open({ userId: 'ops', tenantId: tenant.tenantId, roles: ['admin'] }, Date.now() - 301_000).value;
      for (const value of [`${longer}.${signature}`, `${body}.${'A'.repeat(signature.length)}`, lapsed, 'not-a-session']) {
        const response = await board(test).get('/admin/queues/api/queues').set('Cookie', `${DASHBOARD_COOKIE}=${value}`);
        expect({ value, status: response.status }).toEqual({ value, status: 401 });
      }
    });

    it('refuses a session without the admin role (403)', async () => {
      const tenant = newTenant();
      const session = test.app.get(DashboardSessions).open({ userId: 'venue', tenantId: tenant.tenantId, roles: ['venue_admin'] });
      const response = await board(test).get('/admin/queues/api/queues').set('Cookie', `${DASHBOARD_COOKIE}=${session.value}`);
      expect(response.status).toBe(403);
    });
  });
});
