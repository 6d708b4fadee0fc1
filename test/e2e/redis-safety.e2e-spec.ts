import { DataSource } from 'typeorm';
import { VALID_PAYLOADS } from '../support/payloads';
import { startScratchRedis, ScratchRedis } from '../support/scratch-redis';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

describe('Redis as a delivery mechanism', () => {
  it('refuses to start on a Redis that may evict keys', async () => {
    const redis = await startScratchRedis('--maxmemory-policy', 'allkeys-lru');
    try {
      await expect(startTestApp({ env: { REDIS_URL: redis.url } })).rejects.toThrow(
        /maxmemory-policy is "allkeys-lru"; the queue service needs "noeviction"/,
      );
    } finally {
      await redis.stop();
    }
  });

  describe('when Redis is out of memory', () => {
    let redis: ScratchRedis;
    let test: TestApp;

    beforeAll(async () => {
      redis = await startScratchRedis('--maxmemory-policy', 'noeviction', '--maxmemory', '4mb');
      test = await startTestApp({ env: { REDIS_URL: redis.url } });
    });
    afterAll(async () => {
      await redis.client.del('ballast').catch(() => undefined);
      await test.close().catch(() => undefined);
      await redis.stop();
    });

    it('answers 503 and keeps nothing half-written, then accepts once Redis has room', async () => {
      const tenant = newTenant();
      const chunk = 'x'.repeat(256 * 1024);
      await expect(
        (async () => {
          for (;;) await redis.client.append('ballast', chunk);
        })(),
      ).rejects.toThrow(/OOM/);

      const body = { type: 'payment-process', data: VALID_PAYLOADS['payment-process'], options: { idempotencyKey: 'oom-1' } };
      const refused = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(body).expect(503);
      expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      const db = test.app.get(DataSource);
      expect(await db.query(`SELECT id FROM jobs WHERE tenant_id = $1`, [tenant.tenantId])).toEqual([]);
      expect(await db.query(`SELECT key FROM idempotency_keys WHERE tenant_id = $1`, [tenant.tenantId])).toEqual([]);

      await redis.client.del('ballast');
      const accepted = await test.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(body).expect(201);
      expect(accepted.body.status).toBe('waiting');
    });
  });
});
