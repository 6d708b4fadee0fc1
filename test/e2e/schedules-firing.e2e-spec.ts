import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { VALID_PAYLOADS } from '../support/payloads';
import { deleteRedisKeys, newRedisPrefix, newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Schedules firing in real worker processes (src/main.ts, APP_ROLE=worker) that share one Redis
 * prefix with an API-only app. Each tick of a persisted type becomes a job with origin
 * `schedule` whose idempotency key is `tick:<Bull's tick id>`, and Bull's tick id ends in the
 * tick's time: the jobs are counted per tick time.
 */

// Worker processes run recovery and the schedules' start-up over every row of their database.
privateDatabaseForThisFile();

const EVERY_SECOND = '* * * * * *';

describe('Schedules firing across worker processes', () => {
  let api: TestApp | undefined;
  let workers: WorkerProcess[] = [];
  let prefix: string;

  beforeEach(async () => {
    prefix = newRedisPrefix();
    api = await startTestApp({ redisPrefix: prefix, env: { APP_ROLE: 'api' } });
  });
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    workers = [];
    await api?.close();
  });

  const communication = () => api!.app.get(QueueRegistry).get('communication');
  async function startWorkers(count: number): Promise<WorkerProcess[]> {
    const expected = (await communication().getWorkers()).length + count;
    const started = await Promise.all(
      Array.from({ length: count }, () =>
        startWorkerProcess({ REDIS_PREFIX: prefix }, async () => (await communication().getWorkers()).length >= expected, 60_000),
      ),
    );
    workers.push(...started);
    return started;
  }
  async function stopWorkers(): Promise<void> {
    await Promise.all(workers.map((worker) => worker.stop()));
    workers = [];
  }

  /** Jobs per tick time (epoch ms), oldest tick first. */
  async function jobsPerTick(tenantId: string): Promise<{ tick: number; jobs: number }[]> {
    const rows: { tick: string; jobs: number }[] = await api!.app.get(DataSource).query(
      `SELECT split_part(idempotency_key, ':', 4) AS tick, count(*)::int AS jobs
         FROM jobs WHERE tenant_id = $1 AND origin = 'schedule' GROUP BY 1 ORDER BY 1`,
      [tenantId],
    );
    return rows.map(({ tick, jobs }) => ({ tick: Number(tick), jobs }));
  }
  const ticksAfter = async (tenantId: string, after: number, count: number) =>
    waitFor(async () => {
      const ticks = (await jobsPerTick(tenantId)).filter(({ tick }) => tick > after);
      return ticks.length >= count ? ticks : undefined;
    }, 60_000, `${count} ticks after ${new Date(after).toISOString()}`);

  async function createSchedule(token: string, missedTickPolicy: 'run-once' | 'skip'): Promise<string> {
    const { body } = await api!.http().post('/schedules').set('Authorization', `Bearer ${token}`).send({
      name: `every-second-${missedTickPolicy}`, cron: EVERY_SECOND, timezone: 'Europe/Berlin', missedTickPolicy,
      jobType: 'email-send', jobData: VALID_PAYLOADS['email-send'],
    }).expect(201);
    return body.id;
  }

  /** Stops every worker and waits until at least three ticks have passed with none running. */
  async function outage(tenantId: string): Promise<{ lastTick: number; restartedAt: number }> {
    await stopWorkers();
    const lastTick = Math.max(...(await jobsPerTick(tenantId)).map(({ tick }) => tick));
    await waitFor(async () => (Date.now() > lastTick + 3_500 ? true : undefined), 10_000, 'three ticks to pass with no worker');
    return { lastTick, restartedAt: Date.now() };
  }

  it('fires once per tick with two workers, and after every process was down runs the missed ticks once, then keeps firing once per tick', async () => {
    const tenant = newTenant();
    // Made before the workers start: each of them registers its repeatable again at start-up.
    const id = await createSchedule(tenant.admin, 'run-once');
    await startWorkers(2);

    const before = await ticksAfter(tenant.tenantId, 0, 4);
    expect(before.filter(({ jobs }) => jobs !== 1)).toEqual([]);

    const { lastTick, restartedAt } = await outage(tenant.tenantId);
    await startWorkers(1);
    const after = await ticksAfter(tenant.tenantId, restartedAt, 3);
    const all = await jobsPerTick(tenant.tenantId);
    const missed = all.filter(({ tick }) => tick > lastTick && tick < restartedAt);
    // Three or more ticks passed during the outage; Bull's one pending tick stands for them all.
    expect(missed).toEqual([{ tick: lastTick + 1_000, jobs: 1 }]);
    expect(all.filter(({ jobs }) => jobs !== 1)).toEqual([]);
    expect(after.length).toBeGreaterThanOrEqual(3);

    const { body } = await api!.http().get(`/schedules/${id}`).set('Authorization', `Bearer ${tenant.admin}`).expect(200);
    expect(new Date(body.lastRunAt).getTime()).toBeGreaterThan(restartedAt);
    expect(['submitted', 'completed']).toContain(body.lastOutcome);
    expect(new Date(body.nextRunAt).getTime()).toBeGreaterThan(new Date(body.lastRunAt).getTime());
  }, 240_000);

  it('skips a tick missed while every process was down when the schedule says skip', async () => {
    const tenant = newTenant();
    await startWorkers(1);
    await createSchedule(tenant.admin, 'skip');
    await ticksAfter(tenant.tenantId, 0, 2);

    const { lastTick, restartedAt } = await outage(tenant.tenantId);
    await startWorkers(1);
    await ticksAfter(tenant.tenantId, restartedAt, 2);
    const all = await jobsPerTick(tenant.tenantId);
    expect(all.filter(({ tick }) => tick > lastTick && tick < restartedAt)).toEqual([]);
    expect(all.filter(({ jobs }) => jobs !== 1)).toEqual([]);
  }, 240_000);

  it('runs once, at the next start (two workers), a tick missed while Redis had lost the repeatable; then fires once per tick again', async () => {
    const tenant = newTenant();
    await startWorkers(1);
    await createSchedule(tenant.admin, 'run-once');
    await ticksAfter(tenant.tenantId, 0, 2);
    const { restartedAt } = await outage(tenant.tenantId);
    await deleteRedisKeys(prefix);
    await startWorkers(2);
    await ticksAfter(tenant.tenantId, restartedAt, 3);
    const madeUp = await api!.app.get(DataSource).query(
      `SELECT id FROM jobs WHERE tenant_id = $1 AND origin = 'schedule' AND idempotency_key IS NULL`,
      [tenant.tenantId],
    );
    expect(madeUp).toHaveLength(1);
    expect((await jobsPerTick(tenant.tenantId)).filter(({ jobs, tick }) => tick > 0 && jobs !== 1)).toEqual([]);
  }, 240_000);

  it('removes at start a repeatable whose schedule row is gone (a delete that stopped between the row and Bull)', async () => {
    const tenant = newTenant();
    const id = await createSchedule(tenant.admin, 'run-once');
    const repeatablesOf = async () => (await communication().getRepeatableJobs()).filter((job) => job.id === `schedule-${id}`);
    expect(await repeatablesOf()).toHaveLength(1);
    await api!.app.get(DataSource).query(`DELETE FROM schedules WHERE id = $1`, [id]);
    await startWorkers(1);
    await waitFor(async () => ((await repeatablesOf()).length === 0 ? true : undefined), 30_000, 'the orphaned repeatable to be removed');
  }, 120_000);
});
