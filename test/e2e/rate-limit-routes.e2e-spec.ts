import { Client } from 'pg';
import { ProviderRateLimiter } from '../../src/rate-limit/provider-rate-limiter';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('Rate limit routes', () => {
  const tenant = newTenant();
  let test: TestApp;
  let db: Client;

  beforeAll(async () => {
    test = await startTestApp();
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await test?.close();
  });

  const get = (path: string, token = tenant.admin) => test.http().get(path).set('Authorization', `Bearer ${token}`);
  const post = (path: string, token = tenant.admin) => test.http().post(path).set('Authorization', `Bearer ${token}`);

  it.each([
    ['GET', '/rate-limits'],
    ['GET', '/rate-limits/status/stripe'],
    ['POST', '/rate-limits/reset/stripe'],
    ['POST', '/rate-limits/emergency-stop'],
    ['POST', '/rate-limits/resume'],
  ])('answers 403 to a venue_admin for %s %s', async (method, path) => {
    const call = method === 'GET' ? get(path, tenant.venueAdmin) : post(path, tenant.venueAdmin);
    const response = await call.expect(403);
    expect(response.body).toMatchObject({ statusCode: 403, message: 'Requires one of the roles: admin' });
  });

  it('answers 404 for an unknown key', async () => {
    const response = await get('/rate-limits/status/paypal').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, message: expect.stringContaining('No rate limiter named paypal') });
    await post('/rate-limits/reset/paypal').expect(404);
  });

  /** Other suites of the run tune rows of the shared rate_limiters table, so tests compare with what is there. */
  async function bucketRows(): Promise<Record<string, { capacity: number; refillPerSecond: number }>> {
    const { rows } = await db.query<{ name: string; capacity: number; refill_per_second: string }>(
      'SELECT name, capacity, refill_per_second FROM rate_limiters',
    );
    return Object.fromEntries(rows.map((row) => [row.name, { capacity: row.capacity, refillPerSecond: Number(row.refill_per_second) }]));
  }

  it("shows a provider's bucket as configured, its breaker and the emergency stop flag", async () => {
    await test.app.get(ProviderRateLimiter).reload();
    const rows = await bucketRows();
    const response = await get('/rate-limits/status/solana-rpc').expect(200);
    expect(response.body).toEqual({
      provider: 'solana-rpc',
      ...rows['solana-rpc'],
      remaining: rows['solana-rpc'].capacity,
      waitMs: 0,
      enabled: true,
      breaker: { state: 'closed', retryAfterMs: 0, failures: 0, successes: 0, rejects: 0 },
      emergencyStop: { stopped: false, stoppedBy: null, stoppedAt: null, workers: { paused: 0, running: 1 } },
    });
    const all = await get('/rate-limits').expect(200);
    expect(all.body.map((view: { provider: string; capacity: number }) => [view.provider, view.capacity])).toEqual(
      ['stripe', 'twilio', 'sendgrid', 'solana-rpc'].map((name) => [name, rows[name].capacity]),
    );
  });

  it('resets a drained bucket', async () => {
    const limiter = test.app.get(ProviderRateLimiter);
    const { capacity } = await limiter.getStatus('sendgrid');
    const results = await Promise.all(Array.from({ length: capacity * 2 }, () => limiter.acquire('sendgrid')));
    expect(results.filter((result) => !result.granted).length).toBeGreaterThan(0);
    const drained = await get('/rate-limits/status/sendgrid').expect(200);
    expect(drained.body.remaining).toBeLessThan(capacity);

    const reset = await post('/rate-limits/reset/sendgrid').expect(200);
    expect(reset.body).toMatchObject({ provider: 'sendgrid', capacity, remaining: capacity, waitMs: 0 });
  });

  it('reloads bucket settings from rate_limiters', async () => {
    const { capacity, refillPerSecond } = (await bucketRows()).twilio;
    try {
      // More generous than before, so that suites running alongside are never slowed down.
      await db.query(`UPDATE rate_limiters SET capacity = $1 WHERE name = 'twilio'`, [capacity + 2]);
      await test.app.get(ProviderRateLimiter).reload();
      const response = await get('/rate-limits/status/twilio').expect(200);
      expect(response.body).toMatchObject({ capacity: capacity + 2, refillPerSecond });
      // Tokens live in Redis and carry over: the bucket grows to its new capacity as it refills.
      expect(response.body.remaining).toBeGreaterThanOrEqual(capacity);
      const full = async () => ((await get('/rate-limits/status/twilio')).body.remaining === capacity + 2 ? true : undefined);
      await waitFor(full, 2_000, 'the bucket to refill to its new capacity');
    } finally {
      await db.query(`UPDATE rate_limiters SET capacity = $1 WHERE name = 'twilio'`, [capacity]);
      await test.app.get(ProviderRateLimiter).reload();
    }
  });

  it('sets and lifts the emergency stop', async () => {
    const stopped = await post('/rate-limits/emergency-stop').expect(200);
    expect(stopped.body).toEqual({
      stopped: true,
      stoppedBy: `${tenant.tenantId}:user-1`,
      stoppedAt: expect.any(String),
      workers: { paused: 1, running: 0 },
      notifiedWorkers: 1,
      // The answer waits for this app's worker to confirm the stop.
      status: 'applied',
      acknowledged: [expect.any(String)],
      pendingWorkers: [],
    });
    // A second stop keeps the first one's author and time.
    const again = await post('/rate-limits/emergency-stop', newTenant().admin).expect(200);
    expect(again.body).toMatchObject({ stoppedBy: stopped.body.stoppedBy, stoppedAt: stopped.body.stoppedAt });
    const status = await get('/rate-limits/status/sendgrid').expect(200);
    expect(status.body.emergencyStop).toMatchObject({ stopped: true, stoppedBy: stopped.body.stoppedBy });

    const resumed = await post('/rate-limits/resume').expect(200);
    expect(resumed.body).toMatchObject({ stopped: false, stoppedBy: null, stoppedAt: null, notifiedWorkers: 1, status: 'applied', workers: { paused: 0, running: 1 } });
  });
});
