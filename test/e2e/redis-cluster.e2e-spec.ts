import { AppConfig } from '../../src/config/app-config';
import { QUEUE_NAMES } from '../../src/job-definitions/queue-names';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth } from '../support/job-requests';
import { paymentData, VALID_PAYLOADS } from '../support/payloads';
import { clusterKeys, RedisClusterHandle, startRedisCluster } from '../support/redis-cluster';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';

/**
 * The whole service on a three-node Redis Cluster (REDIS_CLUSTER_NODES): Bull's queues, the
 * service's own keys (cache, throttler, buckets, emergency stop and its sharded channel,
 * analytics, cancellation flags) and the jobs of every queue.
 */

// Recovery would add the shared database's pending records of other files to these queues.
privateDatabaseForThisFile();

describe('on a Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  let test: TestApp | undefined;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    try {
      test = await startTestApp({ env: { REDIS_CLUSTER_NODES: cluster.nodes } });
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }, 90_000);

  afterAll(async () => {
    await test?.close().catch(() => undefined);
    await cluster?.stop();
  });

  const prefixOf = (app: TestApp) => app.app.get(AppConfig).redis.prefix;

  it('runs jobs of every queue to completion, each queue in a slot of its own and the service’s keys in one', async () => {
    const app = test!;
    const tenant = newTenant();
    // A refund must name a payment of this tenant: the single payment runs first, and the batch refunds it.
    const single = await app.http().post('/jobs').set(auth(tenant.user)).send({ type: 'payment-process', data: paymentData({ orderId: 'ord_cluster_2' }) }).expect(201);
    const paid = await waitForJobToFinish(app, tenant.user, single.body.id, 60_000);
    expect(paid.status).toBe('completed');
    const paymentIntentId = String((paid.result as { paymentIntentId?: string } | undefined)?.paymentIntentId);
    const items = [
      { type: 'payment-process', data: paymentData({ orderId: 'ord_cluster_1', customerEmail: 'fan@example.com' }) },
      { type: 'refund-process', data: { ...VALID_PAYLOADS['refund-process'], paymentIntentId, orderId: 'ord_cluster_2', amount: 500 } },
      { type: 'email-send', data: VALID_PAYLOADS['email-send'] },
      { type: 'sms-send', data: VALID_PAYLOADS['sms-send'] },
      { type: 'analytics-process', data: { event: 'gate.scan', occurredAt: '2026-03-01T12:00:00.000Z' } },
      { type: 'cleanup', data: VALID_PAYLOADS.cleanup },
    ];
    const { body } = await app.http().post('/jobs/batch').set(auth(tenant.admin)).send({ jobs: items }).expect(201);
    const ids: string[] = [...body.jobs.map((job: { id: string }) => job.id), single.body.id];
    const finished = await Promise.all(ids.map((id) => waitForJobToFinish(app, tenant.user, id, 60_000)));
    expect(finished.map((job) => [job.type, job.status])).toEqual([...items.map((item) => [item.type, 'completed']), ['payment-process', 'completed']]);

    // The batch payment also has a receipt follow-up, which the outbox relay moves to its queue
    // (this test waits for the submitted jobs, not for that follow-up).
    const client = cluster!.client;
    const prefix = prefixOf(app);
    const slotOf = (key: string) => client.call('CLUSTER', 'KEYSLOT', key) as Promise<number>;
    for (const name of QUEUE_NAMES) {
      const keys = await clusterKeys(client, `{${prefix}:bull:${name}}:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(new Set(await Promise.all(keys.map(slotOf))).size).toBe(1);
    }
    const queueSlots = await Promise.all(QUEUE_NAMES.map((name) => slotOf(`{${prefix}:bull:${name}}:x`)));
    expect(new Set(queueSlots).size).toBe(3);
    // Nothing of this deployment outside its hash tags.
    const untagged = (await clusterKeys(client, `*${prefix}*`)).filter((key) => !key.startsWith(`{${prefix}}:`) && !key.startsWith(`{${prefix}:bull:`));
    expect(untagged).toEqual([]);
    const own = await clusterKeys(client, `{${prefix}}:*`);
    expect(own).toEqual(expect.arrayContaining([`{${prefix}}:analytics:${tenant.tenantId}:2026-03-01`]));
    expect(own.some((key) => key.startsWith(`{${prefix}}:throttle:`))).toBe(true);
    // A bucket key lives about a second (until the bucket is full again); reading it runs the token-bucket script here.
    const bucket = await app.http().get('/rate-limits/status/stripe').set(auth(tenant.admin)).expect(200);
    expect(JSON.stringify(bucket.body)).toContain('"stripe"');
    expect(new Set(await Promise.all(own.map(slotOf))).size).toBe(1);
  }, 90_000);

  it('caches, stops and resumes through the cluster: the emergency stop reaches this worker on its sharded channel', async () => {
    const app = test!;
    const tenant = newTenant();
    for (let read = 0; read < 2; read++) await app.http().get('/queues/money/status').set(auth(tenant.admin)).expect(200);
    const stats = await app.http().get('/cache/stats').set(auth(tenant.admin)).expect(200);
    expect(stats.body.hits).toBeGreaterThanOrEqual(1);
    expect(stats.body.keys).toBeGreaterThanOrEqual(1);

    const stopped = await app.http().post('/rate-limits/emergency-stop').set(auth(tenant.admin)).expect(200);
    expect(stopped.body).toMatchObject({ stopped: true, notifiedWorkers: 1 });
    const resumed = await app.http().post('/rate-limits/resume').set(auth(tenant.admin)).expect(200);
    expect(resumed.body).toMatchObject({ stopped: false, notifiedWorkers: 1 });

    const delayed = await app.http().post('/jobs').set(auth(tenant.user)).send({ type: 'sms-send', data: VALID_PAYLOADS['sms-send'], options: { delay: 60_000 } }).expect(201);
    await app.http().delete(`/jobs/${delayed.body.id}`).set(auth(tenant.admin)).expect(200);
    const ready = await app.http().get('/health/ready').expect(200);
    expect(ready.body.info.redis.status).toBe('up');
  }, 60_000);
});
