import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { CancellationFlags } from '../../src/jobs/cancellation-flags';
import { JOB_EVENTS } from '../../src/job-definitions/job-events';
import { StaleAttemptError } from '../../src/job-definitions/job-errors';
import { JobAttempts } from '../../src/persistence/job-attempts';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { appsClosedAfterEach } from '../support/app-lifecycle';
import { paymentJob } from '../support/payloads';
import { newRedisPrefix, newTenant } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { StripeFake } from '../support/stripe-fake/stripe-fake';

describe('Nothing changes a job once its outcome has committed', () => {
  const start = appsClosedAfterEach();
  let stripe: StripeFake;
  beforeAll(async () => {
    stripe = await StripeFake.start();
  });
  afterAll(async () => {
    await stripe?.close();
  });

  it('a completion listener that throws leaves the job completed with its result, in the record and in Bull', async () => {
    const app = await start({ env: stripe.env() });
    const tenant = newTenant();
    let thrown = 0;
    app.app.get(EventEmitter2).on(JOB_EVENTS.completed, (event: { type: string }) => {
      if (event.type !== 'payment-process') return; // not a follow-up of the payment
      thrown += 1;
      throw new Error('listener blew up');
    });
    const { body } = await app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_listener' })).expect(201);
    const job = await waitForJobToFinish(app, tenant.user, body.id);
    expect(job).toMatchObject({ status: 'completed', error: null });
    expect(job.result).toMatchObject({ orderId: 'ord_listener', status: 'succeeded' });

    const bullJob = (await app.app.get(QueueRegistry).get('money').getJob(body.id))!;
    await waitFor(async () => ((await bullJob.getState()) === 'completed' || (await bullJob.getState()) === 'failed' ? true : undefined));
    expect(thrown).toBe(1);
    expect(await bullJob.getState()).toBe('completed');
    // Completed on its one delivery: the listener's error did not turn into a failed attempt.
    expect((await app.app.get(QueueRegistry).get('money').getJob(body.id))!.attemptsMade).toBe(0);
    expect(await app.app.get(DataSource).query(`SELECT 1 FROM dead_letter_jobs WHERE job_id = $1`, [body.id])).toEqual([]);
  });

  it('after a completion commits, the same attempt can no longer fail, defer or complete the job', async () => {
    const app = await start({ env: stripe.env({ APP_ROLE: 'api' }) });
    const tenant = newTenant();
    const { body } = await app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_guard' })).expect(201);
    const attempts = app.app.get(JobAttempts);
    const claim = await attempts.claim(tenant.tenantId, body.id, 'test-worker', 1);
    if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
    const ref = { tenantId: tenant.tenantId, jobId: body.id, fence: claim.fence };
    await attempts.complete(ref, { done: true });
    const db = app.app.get(DataSource);
    const [before] = await db.query(`SELECT status, result, error, finished_at, updated_at FROM jobs WHERE id = $1`, [body.id]);

    await expect(attempts.fail(ref, 'delayed', { type: 'late', message: 'late failure', permanent: false })).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(attempts.fail(ref, 'failed', { type: 'late', message: 'late failure', permanent: true })).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(attempts.defer(ref)).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(attempts.complete(ref, { other: true })).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await attempts.renewLease(ref)).toBe(false);

    const [after] = await db.query(`SELECT status, result, error, finished_at, updated_at FROM jobs WHERE id = $1`, [body.id]);
    expect(after).toEqual(before);
    expect(after).toMatchObject({ status: 'completed', result: { done: true }, error: null });
  });

  it('a persisted job found cancelled before it is claimed ends with its record cancelled', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const api = await start({ redisPrefix: prefix, env: stripe.env({ APP_ROLE: 'api' }) });
    const { body } = await api.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_cancel_early' })).expect(201);
    // A cancellation that arrived while the job was between attempts, still in Redis.
    await api.app.get(CancellationFlags).request(body.id);

    const worker = await start({ redisPrefix: prefix, env: stripe.env() });
    const job = await waitForJobToFinish(worker, tenant.user, body.id);
    expect(job.status).toBe('cancelled');
    const [record] = await worker.app.get(DataSource).query(`SELECT status, finished_at, attempts FROM jobs WHERE id = $1`, [body.id]);
    expect(record.finished_at).not.toBeNull();
    expect(record.attempts).toBe(0);
    expect(await worker.app.get(DataSource).query(`SELECT 1 FROM dead_letter_jobs WHERE job_id = $1`, [body.id])).toEqual([]);
  });
});
