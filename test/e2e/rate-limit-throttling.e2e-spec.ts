import Redis from 'ioredis';
import { Client } from 'pg';
import { AppConfig } from '../../src/config/app-config';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';

/** API limits per caller and route group, with the limits lowered through the environment. */
describe('API rate limiting', () => {
  let test: TestApp;
  let db: Client;

  beforeAll(async () => {
    test = await startTestApp({
      env: { APP_ROLE: 'api', API_RATE_LIMIT_DEFAULT: '5', API_RATE_LIMIT_ADMIN: '3', API_RATE_LIMIT_WINDOW_SECONDS: '60' },
    });
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await test?.close();
  });

  const getQueues = (token: string) => test.http().get('/queues').set('Authorization', `Bearer ${token}`);

  async function expectAllowed(times: number, call: () => ReturnType<typeof getQueues>): Promise<void> {
    for (let count = 0; count < times; count++) await call().expect(200);
  }

  function addLimit(tenantId: string, clientKey: string, maxRequests: number, windowSeconds: number): Promise<unknown> {
    return db.query(
      `INSERT INTO rate_limits (tenant_id, client_key, route_group, max_requests, window_seconds) VALUES ($1, $2, 'default', $3, $4)`,
      [tenantId, clientKey, maxRequests, windowSeconds],
    );
  }

  it('answers 429 in the error shape, with Retry-After, once a user is over the limit', async () => {
    const tenant = newTenant();
    const first = await getQueues(tenant.user).expect(200);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4' });
    await expectAllowed(4, () => getQueues(tenant.user));

    const refused = await getQueues(tenant.user).expect(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many requests: the limit is 5 per 60 s; retry after 60 s',
      requestId: expect.any(String),
    });
    // Counters live under this app's Redis prefix, so parallel runs never share them.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${test.app.get(AppConfig).redis.prefix}:throttle:*${tenant.tenantId}*`).finally(() => redis.disconnect());
    expect(keys.length).toBeGreaterThan(0);
  });

  it('counts each user of each tenant on its own', async () => {
    const tenant = newTenant();
    await expectAllowed(5, () => getQueues(tenant.user));
    await getQueues(tenant.user).expect(429);
    await getQueues(tokenFor({ tenantId: tenant.tenantId, sub: 'user-2' })).expect(200);
    // The same subject in another tenant is another caller.
    await getQueues(newTenant().user).expect(200);
  });

  it('keeps a budget per route group', async () => {
    const tenant = newTenant();
    const rateLimits = () => test.http().get('/rate-limits').set('Authorization', `Bearer ${tenant.admin}`);
    await expectAllowed(3, rateLimits);
    const refused = await rateLimits().expect(429);
    expect(refused.body.message).toContain('the limit is 3 per 60 s');
    await getQueues(tenant.admin).expect(200);
  });

  it('never throttles the service info or the API docs', async () => {
    await expectAllowed(12, () => test.http().get('/'));
    await expectAllowed(8, () => test.http().get('/docs-json'));
  });

  it("applies a user's own row of rate_limits, window included", async () => {
    const tenant = newTenant();
    await addLimit(tenant.tenantId, 'user-1', 8, 2);
    await expectAllowed(8, () => getQueues(tenant.user));
    const refused = await getQueues(tenant.user).expect(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(2);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    await getQueues(tenant.user).expect(200);
  });

  it("applies the tenant's '*' row to users without a row of their own", async () => {
    const tenant = newTenant();
    const vip = tokenFor({ tenantId: tenant.tenantId, sub: 'vip' });
    await addLimit(tenant.tenantId, '*', 2, 60);
    await addLimit(tenant.tenantId, 'vip', 10, 60);
    await expectAllowed(2, () => getQueues(tenant.user));
    await getQueues(tenant.user).expect(429);
    await expectAllowed(10, () => getQueues(vip));
    await getQueues(vip).expect(429);
  });
});
