import request from 'supertest';
import { DASHBOARD_COOKIE } from '../../src/dashboard/dashboard-sessions';
import { auth } from './job-requests';
import type { TestApp } from './test-app';

/** Opens a dashboard session with an admin token (POST /admin/queues/session) and answers its cookie. */
export async function dashboardCookie(test: TestApp, adminToken: string): Promise<string> {
  const response = await test.http().post('/admin/queues/session').set(auth(adminToken));
  expect(response.status).toBe(201);
  const cookie = setCookieOf(response.headers);
  if (!cookie) throw new Error('POST /admin/queues/session set no cookie');
  return cookie.split(';')[0];
}

export function setCookieOf(headers: Record<string, unknown>): string | undefined {
  const value = headers['set-cookie'];
  const cookies = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return cookies.find((cookie: string) => cookie.startsWith(`${DASHBOARD_COOKIE}=`));
}

/**
 * A request to the dashboard itself (bull-board's page and its API), which is not part of the
 * service's OpenAPI document, so it goes around test.http()'s contract check.
 */
export function board(test: TestApp) {
  return request(test.app.getHttpServer());
}
