import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { auth, idsOf, listJobs, submitOk } from '../support/job-requests';
import { VALID_PAYLOADS } from '../support/payloads';
import { startScratchRedis, ScratchRedis } from '../support/scratch-redis';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const OTHER_TENANTS = 5;
const JOBS_PER_OTHER_TENANT = 1_000;
/** Commands that read a range of a list or sorted set: their cost grows with what they read. */
const RANGE_READS = new Set(['lrange', 'zrange', 'zrevrange', 'zrangebyscore', 'zrevrangebyscore', 'sort', 'smembers', 'hgetall', 'keys', 'scan']);

interface ListingWork {
  /**
   * The commands Redis ran on the queue's keys (scripts' own commands included). Other keys,
   * such as the API throttler's counters, are left out: their count does not depend on the queue.
   */
  commands: number;
  /** Job hashes read (HGETALL of `…:background:<id>`): jobs decoded. */
  decoded: number;
  /** The keys range-read, with the job ids in them replaced, so that two listings compare. */
  rangeReads: string[];
}

/**
 * The API's listing of a Redis-only queue does bounded work for a tenant: another tenant's
 * backlog adds no command and no decoded job. Counted with MONITOR on a Redis of this file's
 * own, in an API-only process (no workers, no sampler), so the queue's keys see only the listing.
 */
describe('GET /queues/background/jobs with other tenants’ backlog', () => {
  let redis: ScratchRedis;
  let test: TestApp;
  let prefix: string;

  beforeAll(async () => {
    redis = await startScratchRedis();
    prefix = `qs-bounded-${randomUUID().slice(0, 8)}`;
    test = await startTestApp({
      redisPrefix: prefix,
      env: { REDIS_URL: redis.url, APP_ROLE: 'api', METRICS_SAMPLE_INTERVAL_MS: '3600000' },
    });
  });
  afterAll(async () => {
    await test?.close();
    await redis?.stop();
  });

  /** Runs `request` between two ECHO markers and reads what MONITOR saw in between. */
  async function workOf(request: () => Promise<unknown>): Promise<ListingWork> {
    const monitor: Redis = await redis.client.monitor();
    const marker = randomUUID();
    const seen: string[][] = [];
    let state: 'before' | 'during' | 'after' = 'before';
    monitor.on('monitor', (_time: string, args: string[]) => {
      const isMarker = args[0]?.toLowerCase() === 'echo' && args[1]?.endsWith(marker);
      if (isMarker) state = args[1].startsWith('start') ? 'during' : 'after';
      else if (state === 'during') seen.push(args);
    });
    // MONITOR keeps sending after the end marker (the service's cache counts come 200 ms later):
    // a line that reaches the connection once disconnect() has taken it out of monitoring mode
    // is an ioredis error event, harmless then. One before the end marker would lose lines.
    const errors: unknown[] = [];
    monitor.on('error', (error: unknown) => { if (state !== 'after') errors.push(error); });
    try {
      await redis.client.echo(`start-${marker}`);
      await request();
      await redis.client.echo(`end-${marker}`);
      await waitFor(async () => (state === 'after' ? true : undefined), 10_000, 'MONITOR to report the end marker');
    } finally {
      monitor.disconnect();
    }
    expect(errors).toEqual([]);
    const jobKey = new RegExp(`^${prefix}:bull:background:[0-9a-f-]{36}(:lock)?$`);
    const onQueue = seen.filter((args) => args.slice(1).some((arg) => arg.startsWith(`${prefix}:bull:background:`)));
    return {
      commands: onQueue.length,
      decoded: seen.filter(([command, key]) => command.toLowerCase() === 'hgetall' && jobKey.test(key ?? '')).length,
      rangeReads: seen
        .filter(([command]) => RANGE_READS.has(command.toLowerCase()))
        .map(([command, key]) => `${command.toLowerCase()} ${(key ?? '').replace(jobKey, '<job>')}`)
        .sort(),
    };
  }

  it('decodes and commands the same for a tenant whether the queue holds 0 or 5,000 other tenants’ jobs', async () => {
    const busy = newTenant();
    const idle = newTenant();
    const own: string[] = [];
    for (let index = 0; index < 3; index += 1) own.unshift((await submitOk(test, busy.user, 'analytics-process')).id);

    const listings = {
      busy: () => listJobs(test, busy.user, 'background'),
      busyWaiting: () => listJobs(test, busy.venueAdmin, 'background', { state: 'waiting', limit: 2 }),
      idle: () => listJobs(test, idle.user, 'background'),
    };
    // Once each first: the first call of a route or script may cost a few commands more.
    for (const list of Object.values(listings)) await list();
    const before = {
      busy: await workOf(listings.busy), busyWaiting: await workOf(listings.busyWaiting), idle: await workOf(listings.idle),
    };

    for (let tenant = 0; tenant < OTHER_TENANTS; tenant += 1) {
      const other = newTenant();
      const jobs = Array.from({ length: JOBS_PER_OTHER_TENANT }, () => ({ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }));
      await test.http().post('/jobs/batch').set(auth(other.venueAdmin)).send({ jobs }).expect(201);
    }
    const counts = await redis.client.llen(`${prefix}:bull:background:wait`);
    expect(counts).toBe(OTHER_TENANTS * JOBS_PER_OTHER_TENANT + own.length);

    const after = {
      busy: await workOf(listings.busy), busyWaiting: await workOf(listings.busyWaiting), idle: await workOf(listings.idle),
    };
    expect(after).toEqual(before);
    // A page costs one decode per job on it, and no range read of a queue-wide list or set.
    expect([before.busy.decoded, before.busyWaiting.decoded, before.idle.decoded]).toEqual([3, 2, 0]);
    expect(before.busy.rangeReads.filter((read) => !read.includes(':tenant-jobs:') && !read.endsWith('<job>'))).toEqual([]);

    // And the listings still answer what they did.
    const page = await listings.busy();
    expect(page.total).toBe(3);
    expect(idsOf(page)).toEqual(own);
    expect(page.items.map((item) => item.status)).toEqual(['waiting', 'waiting', 'waiting']);
    const waiting = await listings.busyWaiting();
    expect([waiting.total, idsOf(waiting)]).toEqual([3, own.slice(0, 2)]);
    expect((await listings.idle()).total).toBe(0);
  }, 180_000);
});
