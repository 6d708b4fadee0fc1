import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { TenantQuotaKeeper } from '../../src/jobs/tenant-quota-keeper';
import { TenantQuotas } from '../../src/jobs/tenant-quotas';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody, fieldsOf } from '../support/error-body';
import { auth, submit, submitOk } from '../support/job-requests';
import { paymentData, VALID_PAYLOADS } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

// Pauses a queue: a database of its own, so no other file's app starts with it paused.
const database = privateDatabaseForThisFile();

const MAX_JOBS = 3;
const BIG_PAYLOADS = newTenant();
const BIG_BYTES = 20_000;
const HOUR = 3_600_000;

describe('Tenant quotas', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      env: {
        ...database.env(),
        TENANT_MAX_WAITING_JOBS: String(MAX_JOBS),
        TENANT_QUOTA_OVERRIDES: `${BIG_PAYLOADS.tenantId}=1000/${BIG_BYTES}`,
      },
    });
  });
  afterAll(async () => {
    await test?.close();
  });

  /** What a tenant holds: job rows, idempotency keys, and Bull's unfinished jobs of every tenant. */
  async function holdings(tenantId: string) {
    const db = test.app.get(DataSource);
    const [{ rows }] = await db.query(`SELECT count(*)::int AS rows FROM jobs WHERE tenant_id = $1`, [tenantId]);
    const [{ keys }] = await db.query(`SELECT count(*)::int AS keys FROM idempotency_keys WHERE tenant_id = $1`, [tenantId]);
    let bull = 0;
    for (const { queue } of test.app.get(QueueRegistry).all()) {
      const counts = await queue.getJobCounts();
      bull += counts.waiting + counts.delayed + counts.active + (counts as { paused?: number }).paused!;
    }
    return { rows, keys, bull };
  }

  const delayedPayment = (orderId: string) => ({
    type: 'payment-process',
    data: paymentData({ orderId }),
    options: { delay: HOUR, idempotencyKey: `${orderId}-pay` },
  });

  it('refuses a tenant at its waiting-jobs quota with 429 and creates nothing, while another tenant keeps submitting', async () => {
    const a = newTenant();
    const b = newTenant();
    for (let index = 0; index < MAX_JOBS; index += 1) {
      expect((await submit(test, a.user, delayedPayment(`ord_a${index}`))).status).toBe(201);
    }
    const before = await holdings(a.tenantId);
    expect(before).toMatchObject({ rows: MAX_JOBS, keys: MAX_JOBS });

    const refused = await submit(test, a.user, delayedPayment('ord_a_over'));
    expectErrorBody(refused, 429, 'Too Many Requests');
    expect(fieldsOf(refused)).toEqual(['quota.waitingJobs']);
    expect(refused.body.message).toContain(`at most ${MAX_JOBS} unfinished jobs`);
    const refusedBatch = await test.http().post('/jobs/batch').set(auth(a.venueAdmin)).send({ jobs: [delayedPayment('ord_a_batch')] });
    expectErrorBody(refusedBatch, 429, 'Too Many Requests');
    expect(await holdings(a.tenantId)).toEqual(before);

    // Another tenant is not held back by A's backlog: its own quota, in full.
    for (let index = 0; index < MAX_JOBS; index += 1) {
      expect((await submit(test, b.user, delayedPayment(`ord_b${index}`))).status).toBe(201);
    }
    expect((await submit(test, a.user, delayedPayment('ord_a_still_over'))).status).toBe(429);

    // A cancelled job leaves the quota, and the refused request's idempotency key was never kept:
    // it now makes a new job (a kept key would answer the earlier job, or 422).
    const [held] = (await test.app.get(DataSource).query(`SELECT id FROM jobs WHERE tenant_id = $1 LIMIT 1`, [a.tenantId])) as { id: string }[];
    await test.http().delete(`/jobs/${held.id}`).set(auth(a.venueAdmin)).expect(200);
    const accepted = await submit(test, a.user, delayedPayment('ord_a_over'));
    expect(accepted.status).toBe(201);
    expect(await test.app.get(TenantQuotas).usageOf(a.tenantId)).toMatchObject({ waitingJobs: MAX_JOBS });
  });

  it('answers a replay at the quota with its earlier job, not 429, while a new job is still refused', async () => {
    const tenant = newTenant();
    const ids: string[] = [];
    for (let index = 0; index < MAX_JOBS; index += 1) {
      const accepted = await submit(test, tenant.user, delayedPayment(`ord_replay${index}`));
      expect(accepted.status).toBe(201);
      ids.push(accepted.body.id);
    }
    const before = await holdings(tenant.tenantId);
    const replay = await submit(test, tenant.user, delayedPayment('ord_replay0'));
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(ids[0]);
    const batchReplay = await test.http().post('/jobs/batch').set(auth(tenant.venueAdmin))
      .send({ jobs: [delayedPayment('ord_replay1'), delayedPayment('ord_replay2')] });
    expect(batchReplay.status).toBe(201);
    expect(batchReplay.body.jobs.map((job: { id: string }) => job.id)).toEqual([ids[1], ids[2]]);
    // A replay beside a new job: the new one is over the quota, so the whole request is refused.
    const mixed = await test.http().post('/jobs/batch').set(auth(tenant.venueAdmin))
      .send({ jobs: [delayedPayment('ord_replay1'), delayedPayment('ord_replay_new')] });
    expectErrorBody(mixed, 429, 'Too Many Requests');
    expect((await submit(test, tenant.user, delayedPayment('ord_replay_new'))).status).toBe(429);
    expect(await holdings(tenant.tenantId)).toEqual(before);
    expect(await test.app.get(TenantQuotas).usageOf(tenant.tenantId)).toMatchObject({ waitingJobs: MAX_JOBS });
  });

  it('refuses a batch that would pass the quota as a whole, creating none of it', async () => {
    const tenant = newTenant();
    await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: 'ord_first' }), { delay: HOUR });
    const before = await holdings(tenant.tenantId);
    const jobs = [delayedPayment('ord_x1'), delayedPayment('ord_x2'), delayedPayment('ord_x3')];
    const refused = await test.http().post('/jobs/batch').set(auth(tenant.venueAdmin)).send({ jobs });
    expectErrorBody(refused, 429, 'Too Many Requests');
    expect(fieldsOf(refused)).toEqual(['quota.waitingJobs']);
    expect(await holdings(tenant.tenantId)).toEqual(before);
    // What fits is accepted, under the same idempotency keys.
    await test.http().post('/jobs/batch').set(auth(tenant.venueAdmin)).send({ jobs: jobs.slice(0, 2) }).expect(201);
  });

  it('counts the estimated Redis bytes of a tenant\'s jobs against its own limit (an override)', async () => {
    const large = { ...VALID_PAYLOADS['analytics-process'], properties: { blob: 'x'.repeat(8_000) } };
    await submitOk(test, BIG_PAYLOADS.user, 'analytics-process', large, { delay: HOUR });
    await submitOk(test, BIG_PAYLOADS.user, 'analytics-process', large, { delay: HOUR });
    const refused = await submit(test, BIG_PAYLOADS.user, { type: 'analytics-process', data: large, options: { delay: HOUR } });
    expectErrorBody(refused, 429, 'Too Many Requests');
    expect(fieldsOf(refused)).toEqual(['quota.redisBytes']);
    expect(refused.body.message).toContain(`at most ${BIG_BYTES} bytes`);
    // Small jobs still fit, and the default job limit does not apply to this tenant.
    for (let index = 0; index <= MAX_JOBS; index += 1) {
      await submitOk(test, BIG_PAYLOADS.user, 'analytics-process', VALID_PAYLOADS['analytics-process'], { delay: HOUR });
    }
  });

  it('accepts a tenant again once its jobs have run', async () => {
    const tenant = newTenant();
    const operator = newTenant();
    await test.http().post('/queues/background/pause').set(auth(operator.admin)).expect(200);
    const ids: string[] = [];
    try {
      for (let index = 0; index < MAX_JOBS; index += 1) {
        ids.push((await submitOk(test, tenant.user, 'analytics-process')).id);
      }
      expect((await submit(test, tenant.user, { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] })).status).toBe(429);
    } finally {
      await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
    }
    for (const id of ids) expect((await waitForJobToFinish(test, tenant.user, id)).status).toBe('completed');
    // Released as each job completes: no sweep runs within this wait (one at start, then a minute apart).
    await waitFor(async () => {
      const response = await submit(test, tenant.user, { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'], options: { delay: HOUR } });
      if (response.status === 201) return true;
      expect(response.status).toBe(429);
      return undefined;
    }, 15_000, 'the tenant to be accepted again');
  });

  it('accepts a tenant again once an operator has cleared the queue holding its jobs', async () => {
    const tenant = newTenant();
    const operator = newTenant();
    const analytics = (options: object = {}) => ({ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'], options });
    await test.http().post('/queues/background/pause').set(auth(operator.admin)).expect(200);
    try {
      await submitOk(test, tenant.user, 'analytics-process');
      await submitOk(test, tenant.user, 'analytics-process', VALID_PAYLOADS['analytics-process'], { delay: HOUR });
      await submitOk(test, tenant.user, 'analytics-process');
      expect((await submit(test, tenant.user, analytics())).status).toBe(429);
      expect((await test.http().post('/queues/background/clear').set(auth(operator.admin)).expect(200)).body.removed).toBeGreaterThanOrEqual(MAX_JOBS);
      // Every one of its jobs left the count (waiting ones by clean, the delayed one by remove) …
      const quotas = test.app.get(TenantQuotas);
      await waitFor(async () => ((await quotas.usageOf(tenant.tenantId)).waitingJobs === 0 ? true : undefined), 15_000, 'the releases');
      // … so its whole quota is open again.
      for (let index = 0; index < MAX_JOBS; index += 1) expect((await submit(test, tenant.user, analytics({ delay: HOUR }))).status).toBe(201);
    } finally {
      await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
    }
  });

  it('a sweep releases what no event released (a job that finished while its release was lost)', async () => {
    const tenant = newTenant();
    const job = await submitOk(test, tenant.user, 'analytics-process');
    expect((await waitForJobToFinish(test, tenant.user, job.id)).status).toBe('completed');
    const quotas = test.app.get(TenantQuotas);
    await waitFor(async () => ((await quotas.usageOf(tenant.tenantId)).waitingJobs === 0 ? true : undefined), 10_000, 'the release');
    // Held again, as a crash between Bull's move and the release would leave it.
    await quotas.reserve(tenant.tenantId, [{ jobId: job.id, queue: 'background', bytes: 100 }]);
    expect(await quotas.usageOf(tenant.tenantId)).toEqual({ waitingJobs: 1, redisBytes: 100 });
    expect(await test.app.get(TenantQuotaKeeper).sweep()).toBeGreaterThanOrEqual(1);
    expect(await quotas.usageOf(tenant.tenantId)).toEqual({ waitingJobs: 0, redisBytes: 0 });
  });
});
