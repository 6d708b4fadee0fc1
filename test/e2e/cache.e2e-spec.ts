import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth } from '../support/job-requests';
import { newRedisPrefix, newTenant, TestApp } from '../support/test-app';

/**
 * The shared Redis cache: two apps on one Redis prefix stand for two processes of one
 * deployment. Pausing writes the `queues` row every app re-applies at start: a database of its own.
 */
const database = privateDatabaseForThisFile();

describe('Cache', () => {
  const start = appsClosedAfterEach();
  // Long enough that only an invalidation, never an expiry, can explain a fresh read.
  const env = () => ({ ...database.env(), QUEUE_STATUS_CACHE_MS: '60000' });
  const admin = newTenant().admin;

  async function twoProcesses(): Promise<[TestApp, TestApp]> {
    const redisPrefix = newRedisPrefix();
    return [await start({ redisPrefix, env: env() }), await start({ redisPrefix, env: env() })];
  }

  const pausedIn = async (app: TestApp) =>
    (await app.http().get('/queues/background/status').set(auth(admin)).expect(200)).body.paused as boolean;
  const stats = async (app: TestApp) => (await app.http().get('/cache/stats').set(auth(admin)).expect(200)).body;

  it('answers repeated reads from the cache and counts hits, misses and entries', async () => {
    const [a] = await twoProcesses();
    // Every request reads the caller's rate_limits override (none here) through the cache, this one first.
    expect(await stats(a)).toEqual({ hits: 0, misses: 1, keys: 1 });
    await a.http().get('/queues').set(auth(admin)).expect(200);
    await a.http().get('/queues').set(auth(admin)).expect(200);
    await a.http().get('/queues/money/status').set(auth(admin)).expect(200);
    // Overrides are read per route group: `admin` for /cache, `default` for /queues.
    // Misses: both overrides, the list, the money queue. Hits: the admin override once, the default twice, the list once.
    expect(await stats(a)).toEqual({ hits: 4, misses: 4, keys: 4 });
  });

  it('shows a pause or resume made through the API of one process in the next read of another', async () => {
    const [a, b] = await twoProcesses();
    expect(await pausedIn(b)).toBe(false); // now cached, for a minute

    await a.http().post('/queues/background/pause').set(auth(admin)).expect(200);
    try {
      expect(await pausedIn(b)).toBe(true);
      const list = await b.http().get('/queues').set(auth(admin)).expect(200);
      expect(list.body.find((queue: { name: string }) => queue.name === 'background').paused).toBe(true);
    } finally {
      await a.http().post('/queues/background/resume').set(auth(admin)).expect(200);
    }
    expect(await pausedIn(b)).toBe(false);
  });

  it('shows jobs submitted at once through one process in the next status read of another', async () => {
    const redisPrefix = newRedisPrefix();
    // API only: no worker takes the jobs, so the count stays what was submitted.
    const [a, b] = [await start({ redisPrefix, env: { ...env(), APP_ROLE: 'api' } }), await start({ redisPrefix, env: { ...env(), APP_ROLE: 'api' } })];
    const waitingIn = async (app: TestApp) =>
      (await app.http().get('/queues/background/status').set(auth(admin)).expect(200)).body.counts.waiting as number;
    expect(await waitingIn(b)).toBe(0); // now cached, for a minute
    const tenant = newTenant();
    await Promise.all(Array.from({ length: 12 }, (_, index) =>
      a.http().post('/jobs').set(auth(tenant.venueAdmin)).send({ type: 'analytics-process', data: { event: 'ticket.scanned', properties: { seat: index } } }).expect(201)));
    expect(await waitingIn(b)).toBe(12);
  });

  it('serves a change made around the API from the cache until DELETE /cache/flush in any process', async () => {
    const [a, b] = await twoProcesses();
    expect(await pausedIn(b)).toBe(false);
    const queue = a.app.get(QueueRegistry).get('background');
    await queue.pause(); // straight to Bull: nothing is invalidated
    try {
      expect(await pausedIn(b)).toBe(false);
      const flushed = await a.http().delete('/cache/flush').set(auth(admin)).expect(200);
      expect(flushed.body.flushed).toBeGreaterThanOrEqual(1);
      expect(await pausedIn(b)).toBe(true);
      expect((await stats(b)).keys).toBeGreaterThanOrEqual(1);
    } finally {
      await queue.resume();
    }
  });

  it('starts its counts again from nothing at DELETE /cache/flush, counts not yet sent included', async () => {
    const [a] = await twoProcesses();
    await a.http().get('/queues').set(auth(admin)).expect(200);
    await a.http().get('/queues').set(auth(admin)).expect(200);
    await a.http().delete('/cache/flush').set(auth(admin)).expect(200);
    // Only the stats request's own read of the caller's override (the cache now empty) is counted.
    expect(await stats(a)).toEqual({ hits: 0, misses: 1, keys: 1 });
  });

  it('keeps its routes for admins', async () => {
    const [a] = await twoProcesses();
    const tenant = newTenant();
    for (const token of [tenant.venueAdmin, tenant.user]) {
      expectErrorBody(await a.http().get('/cache/stats').set(auth(token)), 403, 'Forbidden');
      expectErrorBody(await a.http().delete('/cache/flush').set(auth(token)), 403, 'Forbidden');
    }
  });
});
