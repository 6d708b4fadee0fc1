import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { validateEnvironment } from '../config/environment';
import { createRedisClient, RedisClient } from '../database/redis.provider';
import { ProviderRateLimiter } from './provider-rate-limiter';
import type { ProviderBucketRow } from './rate-limit-records';

/** On real Redis: the bucket is shared state, so that is what is worth testing. */
describe('ProviderRateLimiter', () => {
  const prefix = `qs-unit-${randomUUID().slice(0, 8)}`;
  const rows: ProviderBucketRow[] = [
    { name: 'stripe', capacity: 5, refillPerSecond: 5, enabled: true },
    { name: 'twilio', capacity: 3, refillPerSecond: 10, enabled: true },
    { name: 'sendgrid', capacity: 20, refillPerSecond: 20, enabled: false },
  ];
  let redis: RedisClient;
  let limiter: ProviderRateLimiter;
  let otherProcess: ProviderRateLimiter;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const config = new AppConfig(validateEnvironment({ REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: prefix }));
    redis = createRedisClient(config);
    const records = { providerBuckets: async () => rows };
    limiter = new ProviderRateLimiter(records, redis);
    otherProcess = new ProviderRateLimiter(records, redis);
    await limiter.reload();
    await otherProcess.reload();
  });

  beforeEach(async () => {
    for (const provider of ['stripe', 'twilio'] as const) await limiter.reset(provider);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys.map((key) => key.slice(prefix.length + 1)));
    await Promise.all([limiter.onApplicationShutdown(), otherProcess.onApplicationShutdown(), redis.quit()]);
  });

  it('grants a burst of capacity, then about refill_per_second, across processes', async () => {
    const startedAt = Date.now();
    let granted = 0;
    let refusedWaits: number[] = [];
    // 50 attempts spread over ~2 s by two "processes" sharing the one bucket.
    for (let attempt = 0; attempt < 50; attempt++) {
      const result = await (attempt % 2 ? otherProcess : limiter).acquire('stripe');
      if (result.granted) granted++;
      else refusedWaits.push(result.waitMs);
      await sleep(40);
    }
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    // A token bucket allows capacity + rate × time: 5 + 5 × ~2.1 ≈ 15.
    const expected = 5 + 5 * elapsedSeconds;
    expect(granted).toBeGreaterThanOrEqual(Math.floor(expected * 0.75));
    expect(granted).toBeLessThanOrEqual(Math.ceil(expected * 1.15));
    expect(refusedWaits.length).toBe(50 - granted);
    refusedWaits = refusedWaits.filter((wait) => wait <= 0 || wait > 200);
    expect(refusedWaits).toEqual([]); // one token every 200 ms at 5/s
  });

  it('grants exactly capacity out of 50 simultaneous acquires (atomic in Redis)', async () => {
    const startedAt = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => (index % 2 ? otherProcess : limiter).acquire('stripe')),
    );
    // Tokens refill while the 50 calls are in flight (one every 200 ms; a loaded CI machine took
    // over 400 ms for them): the capacity, plus what refilled meanwhile, and not one more.
    const refilled = Math.floor((5 * (Date.now() - startedAt)) / 1000);
    expect(results.filter((result) => result.granted).length).toBeGreaterThanOrEqual(5);
    expect(results.filter((result) => result.granted).length).toBeLessThanOrEqual(5 + refilled + 1);
  });

  it('refuses with a sensible wait once empty, and never spends on a refusal', async () => {
    const emptiedFrom = Date.now();
    for (let taken = 0; taken < 5; taken++) expect(await limiter.acquire('stripe')).toEqual({ granted: true });
    const refused = await limiter.acquire('stripe');
    const spentMs = Date.now() - emptiedFrom;
    expect(refused).toEqual({ granted: false, waitMs: expect.any(Number) });
    const { waitMs } = refused as { waitMs: number };
    // The bucket refills while the six calls run (a loaded machine took 70 ms), so the wait is
    // one token's 200 ms less what has refilled since the first call.
    expect(waitMs).toBeGreaterThanOrEqual(200 - spentMs - 2);
    expect(waitMs).toBeLessThanOrEqual(200);
    expect(await limiter.isRateLimited('stripe')).toBe(true);
    await sleep(waitMs + 20);
    expect(await limiter.acquire('stripe')).toEqual({ granted: true });
  });

  it('reports status, and release gives a token back up to capacity', async () => {
    // A bucket that refills one token in 20 s: at 5/s a stall of 200 ms on a loaded CI machine
    // refilled one between the acquires and the status (4 remaining, not 3).
    const slow = new ProviderRateLimiter({ providerBuckets: async () => [{ name: 'stripe', capacity: 5, refillPerSecond: 0.05, enabled: true }] }, redis);
    await slow.reload();
    try {
      expect(await slow.getStatus('stripe')).toEqual({
        provider: 'stripe', capacity: 5, refillPerSecond: 0.05, remaining: 5, waitMs: 0, enabled: true,
      });
      await slow.acquire('stripe');
      await slow.acquire('stripe');
      expect((await slow.getStatus('stripe')).remaining).toBe(3);
      await slow.release('stripe');
      expect((await slow.getStatus('stripe')).remaining).toBe(4);
      await slow.release('stripe');
      await slow.release('stripe');
      expect((await slow.getStatus('stripe')).remaining).toBe(5);
    } finally {
      await slow.onApplicationShutdown();
    }
  });

  it('handles a bucket that refills faster than once per second (capacity 3 at 10/s)', async () => {
    for (let taken = 0; taken < 3; taken++) await limiter.acquire('twilio');
    const refused = await limiter.acquire('twilio');
    expect(refused.granted).toBe(false);
    expect(await limiter.getWaitTime('twilio')).toBeLessThanOrEqual(100);
    await sleep(350);
    expect((await limiter.getStatus('twilio')).remaining).toBe(3);
  });

  it('does not limit a disabled bucket or a provider without a row', async () => {
    for (let taken = 0; taken < 30; taken++) expect((await limiter.acquire('sendgrid')).granted).toBe(true);
    expect(await limiter.getStatus('sendgrid')).toMatchObject({ enabled: false, remaining: 20, waitMs: 0 });
    expect(await limiter.getStatus('solana-rpc')).toMatchObject({ enabled: false, capacity: 0 });
    expect(await limiter.acquire('solana-rpc')).toEqual({ granted: true });
  });

  it('keeps its keys under the configured Redis prefix', async () => {
    await limiter.acquire('stripe');
    // KEYS takes no client prefix, so the full name is what is stored.
    expect(await redis.keys(`${prefix}:provider-bucket:stripe`)).toEqual([`${prefix}:provider-bucket:stripe`]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
