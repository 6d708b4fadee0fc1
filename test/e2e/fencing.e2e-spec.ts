import { DataSource } from 'typeorm';
import { StaleAttemptError, TransientJobError } from '../../src/job-definitions/job-errors';
import { EffectJournal } from '../../src/persistence/effect-journal';
import { AttemptRef, JobAttempts } from '../../src/persistence/job-attempts';
import { CallWatch, RunWatch, snapshot } from '../support/attempt-watch';
import { VALID_PAYLOADS } from '../support/payloads';
import { HeldRequests, StripeFake } from '../support/stripe-fake/stripe-fake';
import { appsOnOneStripe } from '../support/stripe-apps';
import { crashWorkers, newRedisPrefix, newTenant } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';

/** Short locks and leases, so a worker taken for dead loses its job within a test. */
const FAST = {
  QUEUE_LOCK_DURATION_MS: '800',
  QUEUE_STALLED_INTERVAL_MS: '300',
  JOB_LEASE_MS: '800',
  RECOVERY_INTERVAL_MS: '300',
  RECOVERY_GRACE_MS: '0',
  // A held Stripe call waits as long as a test needs: far from the SDK's timeout.
  STRIPE_TIMEOUT_MS: '60000',
};

const payment = (orderId: string) => ({ type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId } });

/**
 * Each fence check on its own: a stale attempt meets exactly one of them, so the test of each
 * goes red when that one check alone is taken away (the other cannot cover for it).
 */

// Recovery with a short grace re-adds every pending record of its database: this file has its own.
privateDatabaseForThisFile();

describe('Fencing: a worker that lost its claim writes nothing', () => {
  /** The one Stripe every app of the file talks to; each test uses orders of its own. */
  const apps = appsOnOneStripe();
  const start = apps.start;
  let stripe: StripeFake;
  beforeAll(() => {
    stripe = apps.stripe();
  });

  /**
   * A payment whose first worker is stuck inside Stripe when it is taken for dead (its Bull
   * workers stop, its lock and lease lapse), and a second app that takes the job over. Both talk
   * to the one Stripe fake; `staleCall` holds the first worker's request to create the intent.
   */
  async function takeOver(orderId: string, staleCall: HeldRequests) {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const env = { ...FAST, ...stripe.env() };
    const stale = await start({ redisPrefix: prefix, env });
    const staleRuns = new RunWatch(stale);
    const { body } = await stale.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(payment(orderId)).expect(201);
    const jobId: string = body.id;
    await staleCall.entered();
    expect(stripe.callsFor(orderId)).toBe(1);
    await crashWorkers(stale);
    const survivor = await start({ redisPrefix: prefix, env });
    const survivorRuns = new RunWatch(survivor);
    return { tenant, jobId, stale, staleRuns, survivor, survivorRuns, db: survivor.app.get(DataSource) };
  }

  it('refuses the record write of a stale attempt whose Stripe call failed after the job was taken over (record fence alone)', async () => {
    const orderId = 'ord_stale_failure';
    // The first worker's call waits in front of Stripe; the survivor's (the next one) goes through.
    const staleCall = stripe.hold(orderId, { once: true });
    const { tenant, jobId, stale, staleRuns, survivor, db } = await takeOver(orderId, staleCall);
    expect(await waitForJobToFinish(survivor, tenant.user, jobId, 20_000)).toMatchObject({ status: 'completed' });
    expect(stripe.callsFor(orderId)).toBe(2);
    const staleFailures = new CallWatch(stale.app.get(JobAttempts), 'fail');
    const before = await snapshot(db, jobId);
    expect(before.record).toMatchObject({ status: 'completed', fence: '2', error: null });

    // The stale attempt's call fails now (a 504: Stripe was never reached). No step is journalled, so
    // the failure's record write (status, error, lease) is the only thing it tries, and only the record's fence refuses it.
    staleCall.release('time-out');
    const refusal = await staleFailures.settled();
    const outcome = await staleRuns.settled(jobId);
    expect(await snapshot(db, jobId)).toEqual(before);
    expect(refusal).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });
    expect(outcome).toMatchObject({ settled: 'rejected', error: expect.any(TransientJobError) });
    expect(stripe.effects('intent_created', orderId)).toHaveLength(1); // the survivor's
  });

  it('refuses a stale attempt that journals a step the new attempt has not recorded yet (journal fence alone)', async () => {
    const orderId = 'ord_stale_step';
    // Two holds of the order, taken in turn: the first worker's call, then the survivor's.
    const staleCall = stripe.hold(orderId, { once: true });
    const survivorCall = stripe.hold(orderId, { once: true });
    const { tenant, jobId, stale, staleRuns, survivor, survivorRuns, db } = await takeOver(orderId, staleCall);
    // The new attempt has claimed the job and is inside Stripe, its step not yet journalled.
    await survivorCall.entered(20_000);
    expect(stripe.callsFor(orderId)).toBe(2);
    const staleSteps = new CallWatch(stale.app.get(EffectJournal), 'record');
    const before = await snapshot(db, jobId);
    expect(before.record).toMatchObject({ status: 'active', fence: '2' });
    expect(before.journal).toEqual([]);

    // The stale attempt's call reaches Stripe, which creates the intent; it tries to journal it under fence 1.
    staleCall.release('succeed');
    const refusal = await staleSteps.settled();
    const outcome = await staleRuns.settled(jobId);
    expect(await snapshot(db, jobId)).toEqual(before);
    expect(staleRuns.completionsOf(jobId)).toBe(0);
    expect(refusal).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });
    expect(outcome).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });

    // The survivor's call, with the same Idempotency-Key, replays the intent Stripe made for the stale call.
    survivorCall.release('succeed');
    const job = await waitForJobToFinish(survivor, tenant.user, jobId, 20_000);
    const intents = stripe.effects('intent_created', orderId);
    expect(intents).toHaveLength(1);
    const paymentIntentId = intents[0].objectId;
    expect(job).toMatchObject({ status: 'completed', result: { paymentIntentId } });
    expect(stripe.requestsOf('payment_intents.create', orderId).map((request) => request.replayed)).toEqual([false, true]);
    expect((await snapshot(db, jobId)).journal).toMatchObject([
      { step: 'payment_intent_confirmed', fence: '2', details: { paymentIntentId } },
      { step: 'payment_intent_created', fence: '2', details: { paymentIntentId } },
    ]);
    expect(survivorRuns.completionsOf(jobId)).toBe(1);
    expect(stripe.effects('intent_confirmed', orderId)).toHaveLength(1);
  });

  /** One record claimed by two owners in turn: the first one's lease ran out, the second holds fence 2. */
  async function twoOwners() {
    const api = await start({ env: { APP_ROLE: 'api', JOB_LEASE_MS: '200' } });
    const tenant = newTenant();
    const { body } = await api.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(payment('ord_two_owners')).expect(201);
    apps.leaveUnfinished(api, tenant.tenantId, body.id);
    const attempts = api.app.get(JobAttempts);
    const db = api.app.get(DataSource);
    expect(await attempts.claim(tenant.tenantId, body.id, 'worker-old', 1)).toMatchObject({ kind: 'claimed', fence: 1 });
    expect(await attempts.claim(tenant.tenantId, body.id, 'worker-new', 2)).toMatchObject({ kind: 'leased' });
    const second = await waitFor(async () => {
      const claim = await attempts.claim(tenant.tenantId, body.id, 'worker-new', 2);
      return claim.kind === 'claimed' ? claim : undefined;
    });
    expect(second.fence).toBe(2);
    const stale: AttemptRef = { tenantId: tenant.tenantId, jobId: body.id, fence: 1 };
    const current: AttemptRef = { ...stale, fence: 2 };
    await attempts.progress(current, 40);
    const before = await snapshot(db, body.id);
    expect(before.record).toMatchObject({ status: 'active', fence: '2', attempts: 2, lease_owner: 'worker-new' });
    return { attempts, db, jobId: body.id as string, stale, current, before };
  }
  const timeout = { type: 'provider_timeout', message: 'Stripe did not answer in time', permanent: false };

  it("refuses a stale attempt's fail(); the newer attempt's state stays, and its own fail() writes", async () => {
    const { attempts, db, jobId, stale, current, before } = await twoOwners();
    await expect(attempts.fail(stale, 'failed', timeout)).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await snapshot(db, jobId)).toEqual(before);
    await attempts.fail(current, 'delayed', timeout);
    expect((await snapshot(db, jobId)).record).toMatchObject({ status: 'delayed', error: timeout, lease_owner: null });
  });

  it("refuses a stale attempt's defer(); the newer attempt's state stays, and its own defer() writes", async () => {
    const { attempts, db, jobId, stale, current, before } = await twoOwners();
    await expect(attempts.defer(stale)).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await snapshot(db, jobId)).toEqual(before);
    await attempts.defer(current);
    expect((await snapshot(db, jobId)).record).toMatchObject({ status: 'delayed', attempts: 1, lease_owner: null });
  });

  it("refuses a stale attempt's complete() and lease renewal", async () => {
    const { attempts, db, jobId, stale, before } = await twoOwners();
    await expect(attempts.complete(stale, { paymentIntentId: 'pi_stale' })).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await attempts.renewLease(stale)).toBe(false);
    expect(await snapshot(db, jobId)).toEqual(before);
  });
});
