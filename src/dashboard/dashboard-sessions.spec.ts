import type { AppConfig } from '../config/app-config';
import { DashboardSessions } from './dashboard-sessions';

const configWith = (jwtSecret: string) => ({ auth: { jwtSecret }, dashboardSessionTtlSeconds: 300 }) as AppConfig;
const ADMIN = { userId: 'ops-1', tenantId: '3f6c1a8e-2b1d-4c55-9a0e-6f1f1c2d3e4f', roles: ['admin' as const] };

describe('DashboardSessions', () => {
  const sessions = new DashboardSessions(configWith('a-secret-of-at-least-sixteen-characters'));

  it('gives back the admin of a session it opened, until it lapses', () => {
    const now = Date.UTC(2030, 0, 1);
    const { value, expiresAt } = sessions.open(ADMIN, now);
    expect(expiresAt.getTime()).toBe(now + 300_000);
    expect(sessions.verify(value, now + 299_000)).toEqual(ADMIN);
    expect(sessions.verify(value, now + 300_000)).toBeNull();
  });

  it('refuses a value signed with another secret, or signed with the JWT secret itself', () => {
    const other = new DashboardSessions(configWith('another-secret-of-sixteen-characters'));
    expect(sessions.verify(other.open(ADMIN).value)).toBeNull();
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const [body] = sessions.open(ADMIN).value.split('.');
    const withJwtSecret = createHmac('sha256', 'a-secret-of-at-least-sixteen-characters').update(body).digest('base64url');
    expect(sessions.verify(`${body}.${withJwtSecret}`)).toBeNull();
  });

  it('refuses altered claims, malformed values and anything but a string', () => {
    const [body, signature] = sessions.open(ADMIN).value.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, tenantId: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    for (const value of [`${promoted}.${signature}`, `${body}.`, `${body}.${signature}.x`, '', 'x', undefined, 42]) {
      expect(sessions.verify(value)).toBeNull();
    }
  });
});
