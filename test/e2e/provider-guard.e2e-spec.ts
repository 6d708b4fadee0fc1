import { DataSource } from 'typeorm';
import { CircuitBreakers } from '../../src/rate-limit/circuit-breakers';
import { ProviderRateLimiter } from '../../src/rate-limit/provider-rate-limiter';
import { VALID_PAYLOADS } from '../support/payloads';
import { createPrivateDatabase, PrivateDatabase } from '../support/private-database';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

const payments = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, index) => ({
    type: 'payment-process',
    data: { ...VALID_PAYLOADS['payment-process'], orderId: `${prefix}_${index}` },
  }));

/**
 * Provider buckets live in the `rate_limiters` table every app reads: this file has a database
 * of its own, so a tuned bucket never slows another file's payments; tests still put it back.
 */
async function setStripeBucket(db: DataSource, capacity: number, refillPerSecond: number): Promise<void> {
  await db.query(`UPDATE rate_limiters SET capacity = $1, refill_per_second = $2 WHERE name = 'stripe'`, [capacity, refillPerSecond]);
}

describe('Provider rate limits and circuit breakers in the job pipeline', () => {
  let stripe: StripeFake;
  let test: TestApp;
  let database: PrivateDatabase;
  let original: { capacity: number; refill_per_second: string };

  beforeAll(async () => {
    database = await createPrivateDatabase();
    stripe = await StripeFake.start();
  });
  afterAll(async () => {
    await database?.drop();
    await stripe?.close();
  });
  /** Requests to create an intent for the orders of one batch, in arrival order. */
  const createsOf = (prefix: string) => stripe.requestsOf('payment_intents.create').filter((request) => request.orderId?.startsWith(`${prefix}_`));

  // An app per test: a breaker's rolling window would otherwise carry one test's calls into the next.
  beforeEach(async () => {
    test = await startTestApp({
      env: {
        ...stripe.env(),
        DATABASE_URL: database.url,
        BREAKER_VOLUME_THRESHOLD: '3',
        BREAKER_ERROR_THRESHOLD_PERCENT: '50',
        BREAKER_RESET_TIMEOUT_MS: '400',
        // Calls that really fail (before the breaker opens, and its probes) use attempts; deferrals do not.
        RETRY_STRATEGIES: JSON.stringify({ 'payment-process': { attempts: 10, backoff: 'fixed', baseDelayMs: 20, maxDelayMs: 20 } }),
      },
    });
    original ??= (await test.app.get(DataSource).query(`SELECT capacity, refill_per_second FROM rate_limiters WHERE name = 'stripe'`))[0];
  });
  afterEach(async () => {
    await setStripeBucket(test.app.get(DataSource), original.capacity, Number(original.refill_per_second));
    await test.close();
  });

  it('holds a burst of 50 jobs to about 5 per second with a bucket of 5/s, failing none', async () => {
    const db = test.app.get(DataSource);
    await setStripeBucket(db, 5, 5);
    await test.app.get(ProviderRateLimiter).reload();
    const tenant = newTenant();
    try {
      const { body } = await test.http().post('/jobs/batch').set('Authorization', `Bearer ${tenant.admin}`).send({ jobs: payments(50, 'burst') }).expect(201);
      const jobs = await Promise.all(body.jobs.map((job: { id: string }) => waitForJobToFinish(test, tenant.admin, job.id, 30_000)));
      expect(jobs.every((job) => job.status === 'completed' && job.attempts === 1)).toBe(true);
      const calls = createsOf('burst').map((request) => request.at);
      const keys = createsOf('burst').map((request) => String(request.idempotencyKey));
      // A key called twice would mean two attempts of one job overlapped at the provider.
      expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
      expect(calls).toHaveLength(50);
      calls.sort((a, b) => a - b);
      // 5 tokens at once, then 5 a second: 50 calls cannot fit in less than about 9 s (how much
      // longer a loaded machine takes is not the bucket's promise).
      expect((calls[49] - calls[0]) / 1000).toBeGreaterThan(8);
      for (let index = 0; index + 10 < calls.length; index += 1) {
        // Eleven grants span at least 1.2 s (5 at once, then one per 200 ms). The fake sees each
        // call a little after its grant, and under a loaded CI one call was seen 321 ms late
        // (879 ms for eleven): 600 ms still fails a bucket of 10 (eleven calls in 200 ms), and a
        // faster refill fails the 8 s span above.
        expect(calls[index + 10] - calls[index]).toBeGreaterThanOrEqual(600);
      }
      expect(await db.query(`SELECT 1 FROM dead_letter_jobs WHERE tenant_id = $1`, [tenant.tenantId])).toEqual([]);
    } finally {
      await setStripeBucket(db, original.capacity, Number(original.refill_per_second));
      await test.app.get(ProviderRateLimiter).reload();
    }
  });

  it('delays jobs while the breaker is open and completes them once the provider recovers', async () => {
    const db = test.app.get(DataSource);
    const tenant = newTenant();
    const outage = stripe.fail(503, { operations: ['payment_intents.create'], times: Infinity });
    try {
      const { body } = await test.http().post('/jobs/batch').set('Authorization', `Bearer ${tenant.admin}`).send({ jobs: payments(20, 'outage') }).expect(201);
      // The outage lasts until the breaker has opened and turned jobs away without calling Stripe.
      await waitFor(async () => (test.app.get(CircuitBreakers).getState('stripe').rejects > 0 ? true : undefined), 15_000, 'the breaker to open');
      stripe.clearFaults();
      const callsWhileDown = outage.hits;
      const jobs = await Promise.all(body.jobs.map((job: { id: string }) => waitForJobToFinish(test, tenant.admin, job.id, 30_000)));
      expect(jobs.map((job) => job.status)).toEqual(Array(20).fill('completed'));
      // Without the breaker, 20 jobs retrying every 20 ms would have hit the failing provider
      // hundreds of times. With it: the jobs' first attempts (all 20 at once, the money queue
      // runs 50) and few more before it opened.
      expect(callsWhileDown).toBeLessThan(30);
      expect(await db.query(`SELECT 1 FROM dead_letter_jobs WHERE tenant_id = $1`, [tenant.tenantId])).toEqual([]);
    } finally {
      stripe.clearFaults();
    }
  });
});
