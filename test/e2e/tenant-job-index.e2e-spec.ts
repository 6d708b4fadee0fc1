import type { Job } from 'bull';
import { randomUUID } from 'node:crypto';
import type { JobEnvelope } from '../../src/job-definitions/job-envelope';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { TENANT_INDEX_LIMIT, TenantJobIndex } from '../../src/queue-store/tenant-job-index';
import { startTestApp, TestApp } from '../support/test-app';

/** Bull jobs of the background queue, added as the enqueuer adds them, for the index to take in one call. */
async function addJobs(registry: QueueRegistry, tenants: string[]): Promise<Job<JobEnvelope>[]> {
  const envelopes = tenants.map((tenantId, n): JobEnvelope => ({
    tenantId, type: 'analytics-process', payload: { event: 'ticket.scanned', properties: { n } }, origin: 'api',
  }));
  return registry.get('background').addBulk(envelopes.map((data) => ({ name: data.type, data, opts: { jobId: randomUUID() } })));
}

describe('TenantJobIndex', () => {
  let test: TestApp;
  let index: TenantJobIndex;
  let registry: QueueRegistry;

  beforeAll(async () => {
    // No workers: the jobs stay waiting, so every id is still in Redis when the index is read.
    test = await startTestApp({ env: { APP_ROLE: 'api' } });
    index = test.app.get(TenantJobIndex);
    registry = test.app.get(QueueRegistry);
  });
  afterAll(async () => {
    await test?.close();
  });

  it("files each job of a mixed batch under its own tenant, and a tenant's listing finds exactly its own", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const tenants = Array.from({ length: 30 }, (_, n) => [a, b, c][n % 3]);
    const jobs = await addJobs(registry, tenants);
    await index.add('background', jobs);
    for (const tenantId of [a, b, c]) {
      const expected = jobs.filter((job) => job.data.tenantId === tenantId).map((job) => String(job.id));
      const listed = await index.list('background', tenantId);
      expect(listed.map((job) => job.id).sort()).toEqual([...expected].sort());
      expect(listed.every((job) => job.state === 'waiting')).toBe(true);
    }
  });

  it(`keeps a tenant's newest ${TENANT_INDEX_LIMIT.toLocaleString('en')} jobs when one call brings it past the limit`, async () => {
    const tenantId = randomUUID();
    const jobs = await addJobs(registry, Array.from({ length: TENANT_INDEX_LIMIT + 3 }, () => tenantId));
    // Bull stamps jobs by the millisecond: make the order by score unambiguous.
    jobs.forEach((job, n) => { job.timestamp = 1_700_000_000_000 + n; });
    await index.add('background', jobs);
    const queue = registry.get('background');
    expect(await queue.client.zcard(queue.toKey(`tenant-jobs:${tenantId}`))).toBe(TENANT_INDEX_LIMIT);
    const listed = await index.list('background', tenantId);
    expect(listed).toHaveLength(TENANT_INDEX_LIMIT);
    expect(listed[0].id).toBe(String(jobs[jobs.length - 1].id));
    expect(listed.map((job) => job.id)).not.toContain(String(jobs[2].id));
    expect(listed.map((job) => job.id)).toContain(String(jobs[3].id));
  });
});
