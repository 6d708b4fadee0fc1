import { UnprocessableEntityException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TenantScope } from '../../src/database/tenant-scope';
import { EffectJournal } from '../../src/persistence/effect-journal';
import { StaleAttemptError } from '../../src/job-definitions/job-errors';
import type { SubmitJobRequest } from '../../src/jobs/dto/submit-job.dto';
import { JobEnqueuer } from '../../src/jobs/job-enqueuer';
import { AttemptRef, ClaimOutcome, JobAttempts } from '../../src/persistence/job-attempts';
import { WebhookEndpoints } from '../../src/webhooks/webhook-endpoints.repository';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { VALID_PAYLOADS } from '../support/payloads';
import { waitFor } from '../support/wait-for';
import { newTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Group commit on real PostgreSQL: concurrent claims, completions (with their follow-ups), journal
 * steps and single submissions share one transaction; grouping never lets two attempts hold one fence, nor a
 * stale attempt complete a job. An API-only app, so no worker of its own
 * claims the jobs; a database of its own, so the records it leaves claimed meet no other file.
 */
const database = privateDatabaseForThisFile();

describe('group commit of claims and completions', () => {
  let test: TestApp;
  let attempts: JobAttempts;
  let journal: EffectJournal;
  let transactions: number;
  let holdNext: { reached: () => void; released: Promise<void> } | undefined;

  beforeAll(async () => {
    test = await startTestApp({ env: { ...database.env(), APP_ROLE: 'api' } });
    attempts = test.app.get(JobAttempts);
    journal = test.app.get(EffectJournal);
    // Counts the tenant transactions the real TenantScope opens (`run`, and `statement`: one
    // statement in a transaction of its own); each still runs unchanged.
    const scope = test.app.get(TenantScope);
    const statement = scope.statement.bind(scope);
    scope.statement = ((...args: Parameters<TenantScope['statement']>) => {
      transactions++;
      return statement(...args);
    }) as TenantScope['statement'];
    const run = scope.run.bind(scope);
    scope.run = ((tenantId, work) => {
      transactions++;
      const hold = holdNext;
      holdNext = undefined;
      if (!hold) return run(tenantId, work);
      // Held after its work, before it commits and answers: a call made meanwhile meets it running.
      return run(tenantId, async (manager) => {
        const result = await work(manager);
        hold.reached();
        await hold.released;
        return result;
      });
    }) as TenantScope['run'];
  });

  afterAll(async () => {
    await test?.close();
  });

  async function submitPayments(tenant: ReturnType<typeof newTenant>, count: number): Promise<string[]> {
    const jobs = Array.from({ length: count }, (_, index) => ({
      type: 'payment-process',
      data: { ...VALID_PAYLOADS['payment-process'], orderId: `ord_group_${tenant.tenantId.slice(0, 8)}_${index}` },
    }));
    const { body } = await test.http().post('/jobs/batch').set('Authorization', `Bearer ${tenant.venueAdmin}`).send({ jobs }).expect(201);
    return (body.jobs as Array<{ id: string }>).map((job) => job.id);
  }

  const readJournal = (manager: Parameters<Parameters<TenantScope['run']>[1]>[0], ids: string[]) => journal.stepsIn(manager, ids);

  it('claims 20 jobs asked for at once in one statement, each with its own fence, attempt and journal', async () => {
    const tenant = newTenant();
    const ids = await submitPayments(tenant, 20);
    // The fourth job had an earlier attempt (fence 1, its lease over) that recorded a step: the
    // step comes back with that job only. The others are first claims: nothing to read for them.
    await test.app.get(DataSource).query(`UPDATE jobs SET fence = 1, status = 'delayed', lease_expires_at = now() - interval '1 second' WHERE id = $1`, [ids[3]]);
    await test.app.get(DataSource).query(
      `INSERT INTO critical_jobs (tenant_id, job_id, step, details, fence) VALUES ($1, $2, 'payment_intent_created', $3, 1)`,
      [tenant.tenantId, ids[3], JSON.stringify({ paymentIntentId: 'pi_earlier' })],
    );
    transactions = 0;
    const outcomes = await Promise.all(ids.map((id, index) => attempts.claim(tenant.tenantId, id, 'worker-a', index + 1, readJournal)));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(ids.map(() => 'claimed'));
    // One claim statement for all 20, then one read of what the re-claimed job's earlier attempt left.
    expect(transactions).toBe(2);
    const rows: Array<{ id: string; fence: string; attempts: number; lease_owner: string; status: string }> = await test.app
      .get(DataSource)
      .query(`SELECT id, fence, attempts, lease_owner, status FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    ids.forEach((id, index) => {
      expect(byId.get(id)).toMatchObject({ fence: index === 3 ? '2' : '1', attempts: index + 1, lease_owner: 'worker-a', status: 'active' });
      const outcome = outcomes[index] as Extract<ClaimOutcome<Map<string, object>>, { kind: 'claimed' }>;
      expect(outcome.data).toMatchObject({ orderId: `ord_group_${tenant.tenantId.slice(0, 8)}_${index}` });
      expect(outcome.also).toEqual(index === 3 ? new Map([['payment_intent_created', { paymentIntentId: 'pi_earlier' }]]) : undefined);
    });
  });

  it('gives one of two simultaneous claims of the same job the fence; the other finds it leased', async () => {
    const tenant = newTenant();
    const [id] = await submitPayments(tenant, 1);
    const outcomes = await Promise.all([
      attempts.claim(tenant.tenantId, id, 'worker-a', 1, readJournal),
      attempts.claim(tenant.tenantId, id, 'worker-a', 1, readJournal),
    ]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['claimed', 'leased']);
    const [row] = await test.app.get(DataSource).query(`SELECT fence FROM jobs WHERE id = $1`, [id]);
    expect(row.fence).toBe('1');
  });

  it('answers each job in a mixed group for itself: claimed, leased elsewhere, missing', async () => {
    const tenant = newTenant();
    const [free, held] = await submitPayments(tenant, 2);
    expect(await attempts.claim(tenant.tenantId, held, 'worker-b', 1)).toMatchObject({ kind: 'claimed' });
    const missing = '00000000-0000-4000-8000-00000000abcd';
    const [first, second, third] = await Promise.all([
      attempts.claim(tenant.tenantId, free, 'worker-a', 1, readJournal),
      attempts.claim(tenant.tenantId, held, 'worker-a', 2, readJournal),
      attempts.claim(tenant.tenantId, missing, 'worker-a', 1, readJournal),
    ]);
    expect(first).toMatchObject({ kind: 'claimed', fence: 1 });
    expect(second).toMatchObject({ kind: 'leased' });
    expect(third).toEqual({ kind: 'missing' });
  });

  it('completes 10 claimed jobs finishing at once in one transaction, keys included; a stale one among them is refused alone', async () => {
    const tenant = newTenant();
    const ids = await submitPayments(tenant, 10);
    const claims = await Promise.all(ids.map((id) => attempts.claim(tenant.tenantId, id, 'worker-a', 1, readJournal)));
    const refs: AttemptRef[] = claims.map((claim, index) => {
      if (claim.kind !== 'claimed') throw new Error(`job ${ids[index]} was not claimed`);
      return { tenantId: tenant.tenantId, jobId: ids[index], fence: claim.fence };
    });
    const db = test.app.get(DataSource);
    const keys: Array<{ job_id: string; key: string }> = await db.query(`SELECT job_id, key FROM idempotency_keys WHERE job_id = ANY($1::uuid[])`, [ids]);
    const keyOf = new Map(keys.map((row) => [row.job_id, row.key]));
    const stale = { ...refs[6], fence: refs[6].fence - 1 };
    transactions = 0;
    const settled = await Promise.allSettled(
      refs.map((ref, index) => attempts.complete(index === 6 ? stale : ref, { paid: index }, keyOf.get(ref.jobId))),
    );
    expect(transactions).toBe(1);
    expect(settled.map((outcome) => outcome.status)).toEqual(ids.map((_, index) => (index === 6 ? 'rejected' : 'fulfilled')));
    expect((settled[6] as PromiseRejectedResult).reason).toBeInstanceOf(StaleAttemptError);
    const records: Array<{ id: string; status: string; result: object | null }> = await db.query(
      `SELECT id, status, result FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
    const keyRows: Array<{ job_id: string; status: string; result: object | null }> = await db.query(
      `SELECT job_id, status, result FROM idempotency_keys WHERE job_id = ANY($1::uuid[])`, [ids]);
    const recordOf = new Map(records.map((row) => [row.id, row]));
    const keyRowOf = new Map(keyRows.map((row) => [row.job_id, row]));
    ids.forEach((id, index) => {
      if (index === 6) {
        expect(recordOf.get(id)).toMatchObject({ status: 'active', result: null });
        expect(keyRowOf.get(id)).toMatchObject({ status: 'pending', result: null });
      } else {
        expect(recordOf.get(id)).toMatchObject({ status: 'completed', result: { paid: index } });
        expect(keyRowOf.get(id)).toMatchObject({ status: 'completed', result: { paid: index } });
      }
    });
  });

  describe('completions that write follow-ups', () => {
    /** Stands for the follow-ups: a real row per item, written in the completing transaction. */
    const writtenRows = async (ids: string[]): Promise<string[]> => {
      const rows: Array<{ job_id: string }> = await test.app.get(DataSource).query(
        `SELECT job_id FROM critical_jobs WHERE job_id = ANY($1::uuid[]) AND step = 'follow_up_written'`, [ids]);
      return rows.map((row) => row.job_id).sort();
    };
    const writerCalls: string[][] = [];
    const writeAll = async (manager: Parameters<Parameters<TenantScope['run']>[1]>[0], tenantId: string, items: Array<{ jobId: string; fails?: boolean }>) => {
      writerCalls.push(items.map((item) => item.jobId));
      for (const item of items) {
        await manager.query(
          `INSERT INTO critical_jobs (tenant_id, job_id, step, details, fence) VALUES ($1, $2, 'follow_up_written', '{}', 1)`, [tenantId, item.jobId]);
        if (item.fails) throw new Error(`follow-up of ${item.jobId} cannot be written`);
      }
    };
    async function claimed(count: number) {
      const tenant = newTenant();
      const ids = await submitPayments(tenant, count);
      const claims = await Promise.all(ids.map((id) => attempts.claim(tenant.tenantId, id, 'worker-a', 1)));
      const refs: AttemptRef[] = claims.map((claim, index) => ({ tenantId: tenant.tenantId, jobId: ids[index], fence: (claim as { fence: number }).fence }));
      return { ids, refs };
    }
    const statuses = async (ids: string[]) => {
      const rows: Array<{ id: string; status: string }> = await test.app.get(DataSource).query(`SELECT id, status FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
      const byId = new Map(rows.map((row) => [row.id, row.status]));
      return ids.map((id) => byId.get(id));
    };

    it('completes 5 at once in one transaction, writing every follow-up in one call; a stale one writes none', async () => {
      const { ids, refs } = await claimed(5);
      transactions = 0;
      writerCalls.length = 0;
      const settled = await Promise.allSettled(refs.map((ref, index) =>
        attempts.complete(index === 1 ? { ...ref, fence: ref.fence - 1 } : ref, { done: index }, undefined, { items: [{ jobId: ref.jobId }], writeAll })));
      expect(transactions).toBe(1);
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(StaleAttemptError);
      expect(writerCalls).toEqual([ids.filter((_, index) => index !== 1)]);
      expect(await writtenRows(ids)).toEqual(ids.filter((_, index) => index !== 1).sort());
      expect(await statuses(ids)).toEqual(['completed', 'active', 'completed', 'completed', 'completed']);
    });

    it("refuses only the completion whose follow-ups cannot be written; the rest of its group commits, follow-ups included", async () => {
      const { ids, refs } = await claimed(4);
      transactions = 0;
      const settled = await Promise.allSettled(refs.map((ref, index) =>
        attempts.complete(ref, { done: index }, undefined, { items: [{ jobId: ref.jobId, fails: index === 2 }], writeAll })));
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      // The group's transaction, rolled back, then each completion in its own.
      expect(transactions).toBe(1 + 4);
      expect(await statuses(ids)).toEqual(['completed', 'completed', 'active', 'completed']);
      expect(await writtenRows(ids)).toEqual(ids.filter((_, index) => index !== 2).sort());
    });
  });

  it("journals the steps of 5 jobs recorded at once in one statement; a stale attempt's step is refused alone and not written", async () => {
    const tenant = newTenant();
    const ids = await submitPayments(tenant, 5);
    const claims = await Promise.all(ids.map((id) => attempts.claim(tenant.tenantId, id, 'worker-a', 1)));
    const refs: AttemptRef[] = claims.map((claim, index) => ({ tenantId: tenant.tenantId, jobId: ids[index], fence: (claim as { fence: number }).fence }));
    transactions = 0;
    const settled = await Promise.allSettled(
      refs.map((ref, index) => journal.record(index === 2 ? { ...ref, fence: ref.fence + 1 } : ref, 'payment_intent_created', { step: index })),
    );
    // One INSERT for all 5, then one read of the fence of the step it did not write.
    expect(transactions).toBe(2);
    expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(StaleAttemptError);
    const rows: Array<{ job_id: string; details: object; fence: string }> = await test.app
      .get(DataSource)
      .query(`SELECT job_id, details, fence FROM critical_jobs WHERE job_id = ANY($1::uuid[]) ORDER BY job_id`, [ids]);
    expect(new Map(rows.map((row) => [row.job_id, row.details]))).toEqual(
      new Map(ids.flatMap((id, index) => (index === 2 ? [] : [[id, { step: index }] as const]))),
    );
    // The same step again under the same fence is no error, and keeps what was written first.
    await journal.record(refs[0], 'payment_intent_created', { step: 'again' });
    const [first] = await test.app.get(DataSource).query(`SELECT details FROM critical_jobs WHERE job_id = $1`, [ids[0]]);
    expect(first.details).toEqual({ step: 0 });
  });

  it("answers 10 webhook events' endpoint look-ups asked at once with one read; a look-up after a change sees it", async () => {
    const tenant = newTenant();
    const endpoints = test.app.get(WebhookEndpoints);
    const endpoint = (url: string) => ({ url, description: null, events: ['payment.completed' as const], secret: 'whsec_group_commit_test_secret' });
    await endpoints.create(tenant.tenantId, endpoint('https://receiver.example/one'));
    transactions = 0;
    const found = await Promise.all(Array.from({ length: 10 }, () => endpoints.subscribedTo(tenant.tenantId, 'payment.completed')));
    expect(transactions).toBe(1);
    expect(found.map((each) => each.map((row) => row.url))).toEqual(found.map(() => ['https://receiver.example/one']));
    // A look-up asked while a read runs, after a change that read cannot see: answered by the next read.
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      holdNext = { reached: resolve, released: new Promise<void>((done) => (release = done)) };
    });
    const first = endpoints.subscribedTo(tenant.tenantId, 'payment.completed');
    await reached;
    await endpoints.create(tenant.tenantId, endpoint('https://receiver.example/two'));
    const second = endpoints.subscribedTo(tenant.tenantId, 'payment.completed');
    release();
    expect((await first).map((row) => row.url)).toEqual(['https://receiver.example/one']);
    expect((await second).map((row) => row.url)).toEqual(['https://receiver.example/one', 'https://receiver.example/two']);
  });

  it("answers two tenants' look-ups of one event asked at once each with its own endpoints only", async () => {
    const endpoints = test.app.get(WebhookEndpoints);
    const [venueA, venueB] = [newTenant(), newTenant()];
    const endpoint = (url: string) => ({ url, description: null, events: ['payment.completed' as const], secret: 'whsec_group_commit_test_secret' });
    await endpoints.create(venueA.tenantId, endpoint('https://venue-a.example/hook'));
    await endpoints.create(venueB.tenantId, endpoint('https://venue-b.example/hook'));
    const found = await Promise.all([venueA, venueB, venueA, venueB].map((venue) => endpoints.subscribedTo(venue.tenantId, 'payment.completed')));
    expect(found.map((each) => each.map((row) => row.url))).toEqual([
      ['https://venue-a.example/hook'], ['https://venue-b.example/hook'], ['https://venue-a.example/hook'], ['https://venue-b.example/hook'],
    ]);
  });

  describe('single submissions', () => {
    const plan = (tenantId: string, orderId: string, idempotencyKey?: string) => {
      const request = { type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId }, ...(idempotencyKey ? { options: { idempotencyKey } } : {}) } as SubmitJobRequest;
      // The service's own origin: no quota reservation (a Redis round trip) before the write, so
      // submissions made in one turn of the event loop meet in one group whatever the load.
      return test.app.get(JobEnqueuer).plan({ tenantId, userId: null, origin: 'system' }, request, request.data as Record<string, unknown>, 'options.idempotencyKey');
    };
    const enqueueOne = (tenantId: string, planned: ReturnType<typeof plan>) => test.app.get(JobEnqueuer).enqueue(tenantId, [planned]);

    it('writes 20 submitted at once in one transaction; two with one key give one job, as one after the other would', async () => {
      const tenant = newTenant();
      const jobs = Array.from({ length: 20 }, (_, index) => plan(tenant.tenantId, `ord_single_${index}`));
      const twin = plan(tenant.tenantId, 'ord_single_0'); // the same payment again: the same automatic key
      transactions = 0;
      const outcomes = await Promise.all([...jobs, twin].map((job) => enqueueOne(tenant.tenantId, job)));
      expect(transactions).toBe(1);
      expect(outcomes.slice(0, 20).map(([outcome]) => outcome)).toEqual(jobs.map((job) => ({ created: true, job: job.summary })));
      expect(outcomes[20]).toEqual([{ created: false, jobId: jobs[0].summary.id }]);
      const [{ count }] = await test.app.get(DataSource).query(`SELECT count(*)::int AS count FROM jobs WHERE tenant_id = $1`, [tenant.tenantId]);
      expect(count).toBe(20);
    });

    it('refuses only the submission whose key is held with another request, and answers a replay with its job; the others of its one statement are written', async () => {
      const tenant = newTenant();
      const [held] = await enqueueOne(tenant.tenantId, plan(tenant.tenantId, 'ord_keyed', 'shared-key'));
      if (!held.created) throw new Error('The first submission of shared-key was not created');
      const others = Array.from({ length: 5 }, (_, index) => plan(tenant.tenantId, `ord_other_${index}`));
      const conflicting = plan(tenant.tenantId, 'ord_not_the_same', 'shared-key');
      const replay = plan(tenant.tenantId, 'ord_keyed', 'shared-key');
      transactions = 0;
      const settled = await Promise.allSettled([...others, conflicting, replay].map((job) => enqueueOne(tenant.tenantId, job)));
      expect(transactions).toBe(1);
      expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      const refusal = (settled[5] as PromiseRejectedResult).reason;
      expect(refusal).toBeInstanceOf(UnprocessableEntityException);
      expect((refusal as UnprocessableEntityException).getResponse()).toMatchObject({ details: [{ field: 'options.idempotencyKey' }] });
      expect((settled[6] as PromiseFulfilledResult<unknown>).value).toEqual([{ created: false, jobId: held.job.id }]);
      const rows: Array<{ id: string }> = await test.app.get(DataSource).query(`SELECT id FROM jobs WHERE tenant_id = $1`, [tenant.tenantId]);
      expect(rows.map((row) => row.id).sort()).toEqual([held.job.id, ...others.map((job) => job.summary.id)].sort());
    });

    it("answers a key whose holder committed while the claim waited for its row as that holder's, writing nothing", async () => {
      const tenant = newTenant();
      const job = plan(tenant.tenantId, 'ord_race', 'race-key');
      const holderJobId = randomUUID();
      const db = test.app.get(DataSource);
      const holder = db.createQueryRunner();
      await holder.connect();
      try {
        await holder.startTransaction();
        await holder.query(
          `INSERT INTO idempotency_keys (tenant_id, key, job_id, request_hash, status, expires_at)
           VALUES ($1, 'race-key', $2, $3, 'pending', now() + interval '1 hour')`,
          [tenant.tenantId, holderJobId, job.requestHash],
        );
        const submitted = enqueueOne(tenant.tenantId, job);
        // The claim's snapshot is taken; it waits on the uncommitted key, then finds it held.
        await waitFor(async () => {
          const [{ waiting }] = await db.query(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%claimed_keys AS%'`,
          );
          return waiting === 1 ? true : undefined;
        }, 10_000, 'the claim to wait for the holder');
        await holder.commitTransaction();
        expect(await submitted).toEqual([{ created: false, jobId: holderJobId }]);
      } finally {
        if (holder.isTransactionActive) await holder.rollbackTransaction();
        await holder.release();
      }
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM jobs WHERE tenant_id = $1`, [tenant.tenantId]);
      expect(count).toBe(0);
    });
  });
});
