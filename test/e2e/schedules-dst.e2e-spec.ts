import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { VALID_PAYLOADS } from '../support/payloads';
import { SharedShiftedClock } from '../support/shifted-clock';
import { newRedisPrefix, newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Schedules fired live across a daylight-saving change: this file's clock and two real worker
 * processes' clocks (src/main.ts with the shifted-clock preload) are moved by one offset, to
 * shortly before a change in the schedule's zone, once every process is up (so a slow start costs
 * no lead); Bull's tick times and delays, the tick jobs and their records all come from those
 * clocks. The times are in the future: a process that had not taken the offset would see every
 * tick as months away and fire none. Each tick becomes one job whose idempotency key ends in the
 * tick's time, so jobs are counted per tick.
 */

// Worker processes run recovery and the schedules' start-up over every row of their database.
privateDatabaseForThisFile();

/** How long before the change the clock is set and the schedule made. */
const LEAD_MS = 20_000;
/** How long after the change ticks are watched. */
const AFTER_MS = 10_000;
const STEP_MS = 5_000;

interface Change { zone: string; at: string; cron: string; hours: number[] }

describe('A schedule across a daylight-saving change, fired by two worker processes', () => {
  let api: TestApp;
  let workers: WorkerProcess[] = [];
  let clock: SharedShiftedClock;

  beforeAll(async () => {
    clock = new SharedShiftedClock();
    const prefix = newRedisPrefix();
    api = await startTestApp({ redisPrefix: prefix, env: { APP_ROLE: 'api' } });
    const communication = api.app.get(QueueRegistry).get('communication');
    workers = await Promise.all([1, 2].map((count) =>
      startWorkerProcess({ REDIS_PREFIX: prefix, ...clock.workerEnv }, async () => (await communication.getWorkers()).length >= count, 240_000),
    ));
    await waitFor(async () => ((await communication.getWorkers()).length >= 2 ? true : undefined), 30_000, 'both workers');
  }, 300_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await api?.close();
    clock?.restore();
  });

  const localTime = (zone: string, ms: number) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(ms);
  const localHour = (zone: string, ms: number) =>
    Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(ms));

  /** Jobs per tick time (epoch ms), oldest first. */
  async function jobsPerTick(tenantId: string): Promise<{ tick: number; jobs: number }[]> {
    const rows: { tick: string; jobs: number }[] = await api.app.get(DataSource).query(
      `SELECT split_part(idempotency_key, ':', 4) AS tick, count(*)::int AS jobs
         FROM jobs WHERE tenant_id = $1 AND origin = 'schedule' GROUP BY 1 ORDER BY 1`,
      [tenantId],
    );
    return rows.map(({ tick, jobs }) => ({ tick: Number(tick), jobs }));
  }

  /** Fires `change.cron` from LEAD_MS before the change to AFTER_MS past it; answers its ticks up to then, then deletes it. */
  async function ticksAcross(change: Change): Promise<{ changeAt: number; ticks: { tick: number; jobs: number }[]; lastRunAt: string; nextRunAt: string }> {
    const changeAt = Date.parse(change.at);
    await clock.shiftTo(new Date(changeAt - LEAD_MS), workers.map((worker) => worker.pid));
    // Tokens after the shift: their iat and exp are read on the shifted clock.
    const tenant = newTenant();
    const authorization = `Bearer ${tenant.admin}`;
    const { body } = await api.http().post('/schedules').set('Authorization', authorization).send({
      name: `dst-${change.zone}`, cron: change.cron, timezone: change.zone, missedTickPolicy: 'run-once',
      jobType: 'email-send', jobData: VALID_PAYLOADS['email-send'],
    }).expect(201);
    const until = changeAt + AFTER_MS;
    const ticks = await waitFor(async () => {
      const all = await jobsPerTick(tenant.tenantId);
      return all.some(({ tick }) => tick >= until) ? all.filter(({ tick }) => tick <= until) : undefined;
    }, LEAD_MS + AFTER_MS + 30_000, `ticks up to ${new Date(until).toISOString()}`);
    const { body: schedule } = await api.http().get(`/schedules/${body.id}`).set('Authorization', authorization).expect(200);
    // Gone before the next test moves the clock on (its pending tick would run late there).
    await api.http().delete(`/schedules/${body.id}`).set('Authorization', authorization).expect(204);
    return { changeAt, ticks, lastRunAt: schedule.lastRunAt, nextRunAt: schedule.nextRunAt };
  }

  /** Every STEP_MS from `from` to `to` whose local hour is one of `hours`: what a zone-aware cron fires. */
  function expectedTicks(change: Change, from: number, to: number): number[] {
    const expected: number[] = [];
    for (let tick = from; tick <= to; tick += STEP_MS) if (change.hours.includes(localHour(change.zone, tick))) expected.push(tick);
    return expected;
  }

  it('fires once per tick across the spring-forward gap in America/New_York (01:59:55 EST is followed by 03:00:00 EDT)', async () => {
    // Hours 1 and 3 only: the ticks go on across the change only if the hour is read in the zone's
    // new offset (a fixed -05:00 would read 02:00 and stop for an hour, UTC would never fire).
    const change: Change = { zone: 'America/New_York', at: '2027-03-14T07:00:00Z', cron: '*/5 * 1,3 * * *', hours: [1, 3] };
    const { changeAt, ticks, lastRunAt, nextRunAt } = await ticksAcross(change);
    expect(localTime(change.zone, changeAt - 1_000)).toBe('01:59:59 GMT-5');
    expect(localTime(change.zone, changeAt)).toBe('03:00:00 GMT-4');

    const first = ticks[0].tick;
    expect(first).toBeLessThan(changeAt - STEP_MS);
    expect(ticks.filter(({ jobs }) => jobs !== 1)).toEqual([]);
    expect(ticks.map(({ tick }) => tick)).toEqual(expectedTicks(change, first, changeAt + AFTER_MS));
    expect(ticks.map(({ tick }) => tick)).toEqual(expect.arrayContaining([changeAt - STEP_MS, changeAt, changeAt + STEP_MS]));

    expect(new Date(lastRunAt).getTime()).toBeGreaterThanOrEqual(changeAt + AFTER_MS);
    expect(localHour(change.zone, new Date(nextRunAt).getTime())).toBe(3);
  }, 120_000);

  it('fires once per tick across the fall-back change in Europe/Berlin (02:59:55 CEST is followed by 02:00:00 CET)', async () => {
    const change: Change = { zone: 'Europe/Berlin', at: '2027-10-31T01:00:00Z', cron: '*/5 * * * * *', hours: Array.from({ length: 24 }, (_, hour) => hour) };
    const { changeAt, ticks } = await ticksAcross(change);
    expect(localTime(change.zone, changeAt - 1_000)).toBe('02:59:59 CEST');
    expect(localTime(change.zone, changeAt)).toBe('02:00:00 CET');

    const first = ticks[0].tick;
    expect(first).toBeLessThan(changeAt - STEP_MS);
    expect(ticks.filter(({ jobs }) => jobs !== 1)).toEqual([]);
    expect(ticks.map(({ tick }) => tick)).toEqual(expectedTicks(change, first, changeAt + AFTER_MS));
  }, 120_000);
});
