import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { JobWorkers } from '../../src/jobs/job-workers';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { snapshot } from '../support/attempt-watch';
import { startScratchRedis } from '../support/scratch-redis';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';

/**
 * A real worker process (src/main.ts, APP_ROLE=worker) told to stop (SIGTERM) while it runs a
 * persisted job: the job must finish, once, and the process must exit by itself.
 */

// Recovery with a short grace re-adds every pending record of its database: this file has its own.
privateDatabaseForThisFile();

describe('Worker shutdown with a job running', () => {
  let api: TestApp | undefined;
  let worker: WorkerProcess | undefined;
  let lock: Client | undefined;

  afterEach(async () => {
    await lock?.end().catch(() => undefined);
    await worker?.stop();
    await api?.close();
  });

  /** Worker processes registered with the emergency stop, as the admin status route reports them. */
  async function runningWorkers(admin: string): Promise<number> {
    const status = await api!.http().get('/rate-limits/status/stripe').set('Authorization', `Bearer ${admin}`).expect(200);
    return (status.body.emergencyStop as { workers: { running: number } }).workers.running;
  }

  it('finishes the running job before the process exits on SIGTERM', async () => {
    const tenant = newTenant();
    api = await startTestApp({ env: { APP_ROLE: 'api' } });
    const prefix = api.app.get(AppConfig).redis.prefix;
    const money = api.app.get(QueueRegistry).get('money');
    const db = api.app.get(DataSource);
    const { body } = await api
      .http()
      .post('/jobs')
      .set('Authorization', `Bearer ${tenant.user}`)
      .send({ type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId: 'ord_sigterm' } })
      .expect(201);

    // Hold the job's row: the worker's claim waits on it while Bull already shows the job active.
    lock = new Client({ connectionString: process.env.DATABASE_URL });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE', [body.id]);

    worker = await startWorkerProcess({ REDIS_PREFIX: prefix }, async () => (await money.getWorkers()).length >= 1);
    await waitFor(async () => ((await runningWorkers(tenant.admin)) === 1 ? true : undefined), 15_000, 'the worker to register');
    await waitFor(
      async () => {
        const [{ waiting }] = await db.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE jobs SET fence%'`,
        );
        return waiting === 1 && (await (await money.getJob(body.id))?.getState()) === 'active' ? true : undefined;
      },
      15_000,
      'the worker to wait on its claim with the job active in Bull',
    );

    const stopped = worker.stop();
    // The process has begun its shutdown (it left the emergency-stop registry) with the job still held.
    await waitFor(async () => ((await runningWorkers(tenant.admin)) === 0 ? true : undefined), 10_000, 'the worker to start shutting down');
    // It is now waiting for its running job (JobWorkers.beforeApplicationShutdown). Held a while
    // longer: a shutdown that did not wait would have closed its queues and connections by then.
    await waitFor(async () => (worker!.output().includes('waiting for running jobs to finish') ? true : undefined), 5_000, 'the worker to wait for its job');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await lock.query('ROLLBACK');

    expect(await stopped).toBe('SIGTERM'); // exited on its own, not killed after the grace of stop()
    // Whatever the process did with the job, it did before it exited: the record says it finished, once.
    const { record, journal } = await snapshot(db, body.id);
    expect(record).toMatchObject({ status: 'completed', attempts: 1, fence: '1', error: null });
    expect(journal).toMatchObject([{ step: 'payment_intent_confirmed', fence: '1' }, { step: 'payment_intent_created', fence: '1' }]);
    expect(await (await money.getJob(body.id))?.getState()).toBe('completed');
  });

  it('stops its workers with every failure handled while Redis has gone dark mid-reconnect', async () => {
    const redis = await startScratchRedis();
    try {
      api = await startTestApp({ env: { REDIS_URL: redis.url } });
      const queues = api.app.get(QueueRegistry).all().map(({ queue }) => queue);
      await redis.blackHole();
      await waitFor(
        async () => (queues.every((queue) => queue.clients.every((client) => client.status === 'connecting')) ? true : undefined),
        10_000,
        "every Bull client's reconnect to hang",
      );

      // Bull's own close() here left a rejected reconnect unhandled while its fetches were still
      // pending: Jest fails the test on an unhandled rejection, as Node ends a process on one.
      // (The clients themselves may stay 'connecting': ioredis ends those when their attempt does.)
      await expect(api.app.get(JobWorkers).beforeApplicationShutdown()).resolves.toBeUndefined();
    } finally {
      redis.resume();
      await api?.close();
      api = undefined;
      await redis.stop();
    }
  }, 60_000);
});
