import { productionNodeFlags } from '../../bench/production-node-flags';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { newRedisPrefix, newTenant } from '../support/test-app';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';
import { freePort } from '../support/free-port';

/**
 * The heap limit production runs with (`npm run start:prod`, the Dockerfile) is safe only
 * because request bytes in flight are bounded: a flood of the largest batches is shed with 503,
 * never a crash, and what was accepted is there whole.
 */

const database = privateDatabaseForThisFile();
const CONCURRENT_BATCHES = 30;

describe('A flood of large batches on a process with the production heap limit', () => {
  let api: WorkerProcess | undefined;

  afterEach(async () => {
    await api?.stop();
  });

  async function startApi(env: Record<string, string> = {}): Promise<string> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    api = await startWorkerProcess(
      { ...database.env(), APP_ROLE: 'api', PORT: String(port), REDIS_PREFIX: newRedisPrefix(), LOG_LEVEL: 'warn', NODE_OPTIONS: productionNodeFlags().join(' '), ...env },
      async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200,
    );
    return base;
  }

  it(`answers ${CONCURRENT_BATCHES} concurrent 4.5 MB batches with 201 or 503, stays up, and keeps each accepted batch whole`, async () => {
    expect(productionNodeFlags()).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
    const base = await startApi();
    // A tenant per batch: each accepted one must hold its 1000 jobs, each refused one none.
    const tenants = Array.from({ length: CONCURRENT_BATCHES }, () => newTenant());
    const jobs = Array.from({ length: 1000 }, (_, index) => ({
      type: 'analytics-process',
      data: { event: 'ticket.scanned', properties: { seat: index, note: 'x'.repeat(4400) } },
    }));
    const body = JSON.stringify({ jobs });
    expect(body.length).toBeGreaterThan(4_400_000);

    const statuses = await Promise.all(
      tenants.map((tenant) =>
        fetch(`${base}/jobs/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.venueAdmin}` },
          body,
        }).then(
          (response) => response.status,
          (error: Error & { cause?: { code?: string } }) => `no answer (${error.cause?.code ?? error.message})`,
        ),
      ),
    );

    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThan(0);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const held = await Promise.all(
      tenants.map(async (tenant) => {
        const listed = await fetch(`${base}/queues/background/jobs`, { headers: { authorization: `Bearer ${tenant.venueAdmin}` } });
        return ((await listed.json()) as { total: number }).total;
      }),
    );
    expect(held).toEqual(statuses.map((status) => (status === 201 ? 1000 : 0)));
  }, 120_000);
});

