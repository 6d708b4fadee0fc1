import Redis from 'ioredis';
import { AppConfig } from '../../src/config/app-config';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Two real worker processes (src/main.ts, APP_ROLE=worker) and an API-only app, all on one
 * Redis prefix: the emergency stop must reach every worker process, including one that
 * starts while stopped, and lose nothing.
 */
describe('Emergency stop across worker processes', () => {
  const POLL_MS = 500;
  const tenant = newTenant();
  const workers: WorkerProcess[] = [];
  let test: TestApp;
  let prefix: string;
  let redis: Redis;

  beforeAll(async () => {
    test = await startTestApp({ env: { APP_ROLE: 'api', EMERGENCY_STOP_POLL_MS: String(POLL_MS) } });
    prefix = test.app.get(AppConfig).redis.prefix;
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await startWorker();
  }, 40_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    redis?.disconnect();
    await test?.close();
  });

  /** Ready once its Bull worker connection shows up: it subscribed to the stop channel before that. */
  async function startWorker(): Promise<void> {
    const background = test.app.get(QueueRegistry).get('background');
    const expected = workers.length + 1;
    const worker = await startWorkerProcess({ REDIS_PREFIX: prefix, EMERGENCY_STOP_POLL_MS: String(POLL_MS) }, async () => {
      return (await background.getWorkers()).length >= expected;
    });
    workers.push(worker);
  }

  const asAdmin = (path: string) => test.http().post(path).set('Authorization', `Bearer ${tenant.admin}`);

  /** What the worker processes report having applied, through the admin status route. */
  function waitForWorkers(paused: number, running: number): Promise<true> {
    return waitFor(
      async () => {
        const status = await test.http().get('/rate-limits/status/stripe').set('Authorization', `Bearer ${tenant.admin}`).expect(200);
        const { workers: counts } = status.body.emergencyStop as { workers: { paused: number; running: number } };
        return counts.paused === paused && counts.running === running ? true : undefined;
      },
      10_000,
      `${paused} paused and ${running} running worker processes`,
    );
  }

  async function submitAnalyticsJobs(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const response = await test
        .http()
        .post('/jobs')
        .set('Authorization', `Bearer ${tenant.user}`)
        .send({ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] })
        .expect(201);
      ids.push(response.body.id as string);
    }
    return ids;
  }

  async function statuses(ids: string[]): Promise<string[]> {
    const views = await Promise.all(
      ids.map((id) => test.http().get(`/jobs/${id}`).set('Authorization', `Bearer ${tenant.user}`).expect(200)),
    );
    return views.map((view) => view.body.status as string);
  }

  /** Checks again and again over `ms` that no worker has taken any of the jobs. */
  async function expectStillWaiting(ids: string[], ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      expect(await statuses(ids)).toEqual(ids.map(() => 'waiting'));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function expectAllCompleted(ids: string[]): Promise<void> {
    const finished = await Promise.all(ids.map((id) => waitForJobToFinish(test, tenant.user, id, 10_000)));
    expect(finished.map((job) => job.status)).toEqual(ids.map(() => 'completed'));
  }

  it('holds every job while stopped, in a worker that was running and one that started while stopped', async () => {
    await waitForWorkers(0, 1);
    const stopped = await asAdmin('/rate-limits/emergency-stop').expect(200);
    expect(stopped.body).toMatchObject({
      stopped: true,
      stoppedBy: `${tenant.tenantId}:user-1`,
      stoppedAt: expect.any(String),
      notifiedWorkers: 1,
    });
    await waitForWorkers(1, 0);
    await startWorker();
    await waitForWorkers(2, 0);

    const ids = await submitAnalyticsJobs(6);
    await expectStillWaiting(ids, 3_000);
    const queue = await test.http().get('/queues/background/status').set('Authorization', `Bearer ${tenant.admin}`).expect(200);
    // Each process paused itself: the queue's own (admin) pause is untouched.
    expect(queue.body).toMatchObject({ paused: false, counts: { waiting: 6, active: 0 } });

    const resumed = await asAdmin('/rate-limits/resume').expect(200);
    expect(resumed.body).toMatchObject({ stopped: false, stoppedBy: null, notifiedWorkers: 2 });
    await expectAllCompleted(ids);
    await waitForWorkers(0, 2);
  });

  it('catches a missed broadcast by polling the flag in Redis', async () => {
    // The flag written without a broadcast, as if every message had been lost.
    await redis.set(`${prefix}:emergency-stop`, JSON.stringify({ stoppedBy: 'test', stoppedAt: new Date().toISOString() }));
    await waitForWorkers(2, 0);
    const ids = await submitAnalyticsJobs(4);
    await expectStillWaiting(ids, 1_500);

    await redis.del(`${prefix}:emergency-stop`);
    // Only the poll can lift it: nothing was published.
    await expectAllCompleted(ids);
    await waitForWorkers(0, 2);
  });

  it('lets every worker shut down gracefully while stopped', async () => {
    await asAdmin('/rate-limits/emergency-stop').expect(200);
    await waitForWorkers(2, 0);
    expect(await Promise.all(workers.map((worker) => worker.stop()))).toEqual(['SIGTERM', 'SIGTERM']);
    await asAdmin('/rate-limits/resume').expect(200);
  });
});
