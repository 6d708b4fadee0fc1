import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { JobDeferral } from '../../src/job-definitions/job-errors';
import { JobRecovery } from '../../src/jobs/job-recovery';
import { JobRunner } from '../../src/jobs/job-runner';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { CallWatch, RunWatch, snapshot } from '../support/attempt-watch';
import { VALID_PAYLOADS } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { appsOnOneStripe } from '../support/stripe-apps';
import { newRedisPrefix, newTenant } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';

const payment = (orderId: string) => ({ type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId } });

/** Short Bull locks and a short lease, so a slow job outlives many leases within a test. */
const SHORT_LEASE = {
  QUEUE_LOCK_DURATION_MS: '800',
  QUEUE_STALLED_INTERVAL_MS: '300',
  JOB_LEASE_MS: '800',
  RECOVERY_INTERVAL_MS: '300',
  RECOVERY_GRACE_MS: '0',
  // A held Stripe call waits as long as a test needs: far from the SDK's timeout.
  STRIPE_TIMEOUT_MS: '60000',
};

// Recovery with a short grace re-adds every pending record of its database: this file has its own.
privateDatabaseForThisFile();

describe('Leases: a live worker keeps its job; recovery waits for the grace period', () => {
  /** The one Stripe every app of the file talks to; each test uses orders of its own. */
  const apps = appsOnOneStripe();
  const start = apps.start;
  let stripe: StripeFake;
  beforeAll(() => {
    stripe = apps.stripe();
  });

  /**
   * A payment held inside the first worker's Stripe call, and a second worker app on the same
   * Redis prefix and the same Stripe. Only the first call is held: one the second worker made
   * would go through, and show in `stripe.callsFor(orderId)`.
   */
  async function slowJobAndSecondWorker(orderId: string, env: Record<string, string>) {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const firstCall = stripe.hold(orderId, { once: true });
    const first = await start({ redisPrefix: prefix, env: { ...env, ...stripe.env() } });
    const firstRuns = new RunWatch(first);
    const { body } = await first.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(payment(orderId)).expect(201);
    await firstCall.entered();
    expect(stripe.callsFor(orderId)).toBe(1);
    const second = await start({ redisPrefix: prefix, env: { ...env, ...stripe.env() } });
    const secondRuns = new RunWatch(second);
    return { tenant, jobId: body.id as string, firstCall, first, firstRuns, second, secondRuns, db: first.app.get(DataSource) };
  }

  it('renews the lease of a job running for many lease periods, so a second worker handed the job defers it', async () => {
    // Bull's lock and the lease renew every half and third of 2.5 s: a loaded CI machine's
    // stalls of a second leave both held (with 800 ms, one such stall let the lease lapse).
    const setup = await slowJobAndSecondWorker('ord_slow', { ...SHORT_LEASE, QUEUE_LOCK_DURATION_MS: '2500', JOB_LEASE_MS: '2500' });
    const { tenant, jobId, db, second } = setup;
    const secondRecovery = new CallWatch(second.app.get(JobRecovery), 'recoverPendingJobs');

    // Four lease periods pass with the job inside Stripe while the second worker's recovery keeps looking.
    await waitFor(
      async () => {
        const [{ running }] = await db.query(`SELECT now() - started_at > interval '10000 ms' AS running FROM jobs WHERE id = $1`, [jobId]);
        return running && secondRecovery.calls >= 3 ? true : undefined;
      },
      20_000,
      'the job to run for four lease periods',
    );
    // A second delivery of the same Bull job reaches the second worker's pipeline now.
    const job = await second.app.get(QueueRegistry).get('money').getJob(jobId);
    const redelivery = await second.app.get(JobRunner).run(job!).then(
      (result) => result,
      (error: unknown) => error,
    );
    expect(redelivery).toBeInstanceOf(JobDeferral);
    expect((redelivery as JobDeferral).reason).toBe('another worker holds the job');
    const [{ leaseLive }] = await db.query(`SELECT lease_expires_at > now() AS "leaseLive" FROM jobs WHERE id = $1`, [jobId]);
    expect(leaseLive).toBe(true);

    setup.firstCall.release('succeed');
    expect(await waitForJobToFinish(setup.first, tenant.user, jobId, 20_000)).toMatchObject({ status: 'completed', attempts: 1 });
    expect((await snapshot(db, jobId)).record).toMatchObject({ status: 'completed', fence: '1' });
    expect(setup.firstRuns.completionsOf(jobId)).toBe(1);
    expect(setup.secondRuns.completionsOf(jobId)).toBe(0);
    // The first worker's one call, nothing from the second: one intent, created and confirmed once.
    expect(stripe.callsFor('ord_slow')).toBe(1);
    expect(stripe.effects('intent_created', 'ord_slow')).toHaveLength(1);
    expect(stripe.effects('intent_confirmed', 'ord_slow')).toHaveLength(1);
  });

  it('defers a job Bull hands to a second worker while the first one holds a live lease; it completes once', async () => {
    // A lease far longer than Bull's lock: Bull redelivers well within it. The lock is removed
    // below by hand; 2.5 s (not 800 ms) keeps a loaded machine's stall from lapsing it first
    // (seen on a full run: the job was redelivered and deferred before the test took the lock).
    const setup = await slowJobAndSecondWorker('ord_redelivered', { ...SHORT_LEASE, QUEUE_LOCK_DURATION_MS: '2500', JOB_LEASE_MS: '20000' });
    const { tenant, jobId, db, first, second } = setup;
    const firstQueue = first.app.get(QueueRegistry).get('money');
    const secondQueue = second.app.get(QueueRegistry).get('money');
    const before = await snapshot(db, jobId);
    expect(before.record).toMatchObject({ status: 'active', fence: '1', attempts: 1 });

    // The first worker takes no new jobs and loses Bull's lock (as when its Redis link hiccups):
    // Bull's stall check puts the job back in line and the second worker takes it.
    await firstQueue.pause(true, true);
    const held = await firstQueue.getJob(jobId);
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      expect(await redis.del(held!.lockKey())).toBe(1);
    } finally {
      redis.disconnect();
    }
    const redelivery = await setup.secondRuns.settled(jobId, 1, 20_000);
    expect(redelivery).toMatchObject({ settled: 'rejected', error: expect.any(JobDeferral) });
    expect(stripe.callsFor('ord_redelivered')).toBe(1); // the first worker's held call only
    expect(await snapshot(db, jobId)).toEqual(before); // the deferral used no attempt and wrote nothing
    const deferred = await secondQueue.getJob(jobId);
    expect(await deferred!.getState()).toBe('delayed');
    expect(deferred!.attemptsMade).toBe(0);

    setup.firstCall.release('succeed');
    expect(await waitForJobToFinish(second, tenant.user, jobId, 20_000)).toMatchObject({ status: 'completed', attempts: 1 });
    const [intent] = stripe.effects('intent_created', 'ord_redelivered');
    // The deferred delivery comes back now instead of after the lease: it finds the job done.
    await deferred!.promote();
    const rerun = await setup.secondRuns.settled(jobId, 2, 20_000);
    expect(rerun).toMatchObject({ settled: 'resolved', value: { orderId: 'ord_redelivered', paymentIntentId: intent.objectId } });
    expect((await snapshot(db, jobId)).record).toMatchObject({ status: 'completed', fence: '1', attempts: 1 });
    expect(setup.firstRuns.completionsOf(jobId)).toBe(1);
    expect(setup.secondRuns.completionsOf(jobId)).toBe(0);
    expect(stripe.callsFor('ord_redelivered')).toBe(1);
    expect(stripe.effects('intent_created', 'ord_redelivered')).toHaveLength(1);
    expect(stripe.effects('intent_confirmed', 'ord_redelivered')).toHaveLength(1);
  });

  it('leaves a just-submitted job that Redis lost alone during RECOVERY_GRACE_MS, and puts it back after', async () => {
    const graceMs = 1500;
    const api = await start({ env: { APP_ROLE: 'api', RECOVERY_GRACE_MS: String(graceMs) } });
    const tenant = newTenant();
    const { body } = await api.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(payment('ord_just_submitted')).expect(201);
    apps.leaveUnfinished(api, tenant.tenantId, body.id);
    const queue = api.app.get(QueueRegistry).get('money');
    const recovery = api.app.get(JobRecovery);
    const db = api.app.get(DataSource);
    // The record is written, its Bull job is gone: what a submission in flight looks like to recovery.
    await (await queue.getJob(body.id))!.remove();
    const age = async () => {
      const [{ ms }] = await db.query(`SELECT EXTRACT(EPOCH FROM (now() - updated_at)) * 1000 AS ms FROM jobs WHERE id = $1`, [body.id]);
      return Number(ms);
    };

    const early = await recovery.recoverPendingJobs();
    expect(await age()).toBeLessThan(graceMs); // still inside the grace after the pass had ended
    expect(early).not.toContain(body.id);
    expect(await queue.getJob(body.id)).toBeNull();

    await waitFor(async () => ((await age()) > graceMs ? true : undefined), 10_000, 'the record to outlive the grace');
    expect(await recovery.recoverPendingJobs()).toContain(body.id);
    const recovered = await queue.getJob(body.id);
    expect(recovered?.data).toMatchObject({ tenantId: tenant.tenantId, type: 'payment-process', payload: { orderId: 'ord_just_submitted' } });
  });
});
