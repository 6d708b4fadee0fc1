import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { JOB_EVENTS, JobCompletedEvent } from '../../src/job-definitions/job-events';
import { StaleAttemptError } from '../../src/job-definitions/job-errors';
import { RunWatch, snapshot } from '../support/attempt-watch';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { paymentJob } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { appsOnOneStripe } from '../support/stripe-apps';
import { crashWorkers, deleteRedisKeys, newRedisPrefix, newTenant, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

/** Short locks, leases and recovery intervals, so stalls and recovery happen within a test. */
const FAST = {
  QUEUE_LOCK_DURATION_MS: '800',
  QUEUE_STALLED_INTERVAL_MS: '300',
  JOB_LEASE_MS: '800',
  RECOVERY_INTERVAL_MS: '300',
  RECOVERY_GRACE_MS: '0',
  // A held Stripe call waits as long as a test needs: far from the SDK's timeout.
  STRIPE_TIMEOUT_MS: '60000',
};

/** Counts completions per job id across every app of a test. */
function completionCounter(apps: TestApp[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const app of apps) {
    app.app.get(EventEmitter2).on(JOB_EVENTS.completed, (event: JobCompletedEvent) => {
      counts.set(event.jobId, (counts.get(event.jobId) ?? 0) + 1);
    });
  }
  return counts;
}


// Recovery with a short grace re-adds every pending record of its database: this file has its own.
privateDatabaseForThisFile();

describe('Effect journal, leases and recovery', () => {
  /** The one Stripe every app of the file talks to (a dying worker and its survivor alike); each test uses orders of its own. */
  const apps = appsOnOneStripe();
  const start = apps.start;
  let stripe: StripeFake;
  beforeAll(() => {
    stripe = apps.stripe();
  });
  const env = (overrides: Record<string, string> = {}) => ({ ...FAST, ...stripe.env(), ...overrides });

  it('re-runs a job whose worker died after the provider call, without a second charge; the dead worker writes nothing', async () => {
    const prefix = newRedisPrefix();
    const orderId = 'ord_crash';
    // Stripe creates the intent, and its answer to the dying worker is held: the charge is made, its answer lost.
    const answerLost = stripe.hold(orderId, { operation: 'payment_intents.create', phase: 'after', once: true });
    const dying = await start({ redisPrefix: prefix, env: env() });
    const dyingRuns = new RunWatch(dying);
    const tenant = newTenant();
    const { body } = await dying.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId })).expect(201);
    await answerLost.entered();
    expect(stripe.effects('intent_created', orderId)).toHaveLength(1);
    await crashWorkers(dying);

    // The survivor talks to the same Stripe.
    const survivor = await start({ redisPrefix: prefix, env: env() });
    const job = await waitForJobToFinish(survivor, tenant.user, body.id, 20_000);

    expect(job.status).toBe('completed');
    const creates = stripe.requestsOf('payment_intents.create', orderId);
    expect(creates.map((request) => request.replayed)).toEqual([false, true]); // the survivor's: a replay, not a charge
    expect(new Set(creates.map((request) => request.idempotencyKey)).size).toBe(1); // same Idempotency-Key
    const intents = stripe.effects('intent_created', orderId);
    expect(intents).toHaveLength(1);
    expect(job.result).toMatchObject({ paymentIntentId: intents[0].objectId });

    // The dead worker wakes up with the charge's answer: its fence is stale, so it can write nothing.
    const db = survivor.app.get(DataSource);
    const before = await snapshot(db, body.id);
    expect(before.record).toMatchObject({ status: 'completed', fence: '2' });
    // Both steps journalled by the survivor (ordered by step name).
    expect(before.journal).toMatchObject([{ step: 'payment_intent_confirmed', fence: '2' }, { step: 'payment_intent_created', fence: '2' }]);
    answerLost.release('succeed');
    const stale = await dyingRuns.settled(body.id);
    expect(await snapshot(db, body.id)).toEqual(before);
    expect(dyingRuns.completionsOf(body.id)).toBe(0);
    expect(stale).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });
    expect(stripe.effects('intent_created', orderId)).toHaveLength(1);
    expect(stripe.effects('intent_confirmed', orderId)).toHaveLength(1);
  });

  it('resumes after a recorded step instead of repeating it', async () => {
    const orderId = 'ord_journal';
    const app = await start({ env: env() });
    const tenant = newTenant();
    const { body } = await app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId })).expect(201);
    await waitForJobToFinish(app, tenant.user, body.id);
    const { JobsService } = await import('../../src/jobs/jobs.service');
    const db = app.app.get(DataSource);
    // Pretend the completion never happened: the record is back to waiting with its journal kept.
    await db.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [body.id]);
    await db.query(`UPDATE idempotency_keys SET status = 'pending' WHERE job_id = $1`, [body.id]);
    await app.app.get(JobsService).requeue({ tenantId: tenant.tenantId, jobId: body.id, type: 'payment-process', data: {} });
    const rerun = await waitFor(async () => {
      const job = await waitForJobToFinish(app, tenant.user, body.id);
      return job.attempts === 1 && job.status === 'completed' ? job : undefined;
    });
    // Both steps were journalled: the re-run called Stripe for neither.
    expect(stripe.callsFor(orderId)).toBe(1);
    expect(stripe.requestsOf('payment_intents.retrieve', orderId)).toHaveLength(0);
    expect(stripe.requestsOf('payment_intents.confirm', orderId)).toHaveLength(1);
    const intents = stripe.effects('intent_created', orderId);
    expect(intents).toHaveLength(1);
    expect(rerun.result).toMatchObject({ paymentIntentId: intents[0].objectId });
  });

  it('recovers every persisted job after Redis lost its keys, and each completes exactly once', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const activeOrders = ['ord_active_1', 'ord_active_2'];
    const waitingOrders = [0, 1, 2, 3, 4].map((index) => `ord_waiting_${index}`);
    // The crashed worker's calls wait in front of Stripe; the next ones of those orders (the restarted worker's) go through.
    const held = activeOrders.map((orderId) => stripe.hold(orderId, { once: true }));

    // Two jobs running on a worker and five waiting (submitted through an API-only process).
    const worker = await start({ redisPrefix: prefix, env: env() });
    const crashedRuns = new RunWatch(worker);
    const api = await start({ redisPrefix: prefix, env: env({ APP_ROLE: 'api' }) });
    const submit = (app: TestApp, body: object) => app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(body).expect(201);
    const active: string[] = [];
    for (const orderId of activeOrders) active.push((await submit(worker, paymentJob({ orderId }))).body.id);
    await waitFor(async () => ((await worker.http().get('/queues/money/status').set('Authorization', `Bearer ${tenant.user}`)).body.counts.active === 2 ? true : undefined));
    await crashWorkers(worker);
    const waiting: string[] = [];
    for (const orderId of waitingOrders) waiting.push((await submit(api, paymentJob({ orderId }))).body.id);

    await deleteRedisKeys(prefix);

    const restarted = await start({ redisPrefix: prefix, env: env() });
    const completions = completionCounter([worker, restarted]);
    for (const id of [...active, ...waiting]) {
      expect(await waitForJobToFinish(restarted, tenant.user, id, 20_000)).toMatchObject({ status: 'completed' });
    }
    // The crashed worker's two held attempts get their answers now: they must end refused, writing nothing.
    const db = restarted.app.get(DataSource);
    const before = await Promise.all(active.map((id) => snapshot(db, id)));
    for (const call of held) call.release('succeed');
    const staleOutcomes = await Promise.all(active.map((id) => crashedRuns.settled(id)));
    expect(await Promise.all(active.map((id) => snapshot(db, id)))).toEqual(before);
    for (const id of [...active, ...waiting]) expect(completions.get(id)).toBe(1);
    for (const outcome of staleOutcomes) expect(outcome).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });
    // One intent per job, each key used by one job. The crashed worker's two calls, let through last,
    // replayed the restarted worker's (in arrival order: the crashed worker's first).
    for (const orderId of [...activeOrders, ...waitingOrders]) expect(stripe.effects('intent_created', orderId)).toHaveLength(1);
    for (const orderId of activeOrders) {
      expect(stripe.requestsOf('payment_intents.create', orderId).map((request) => request.replayed)).toEqual([true, false]);
    }
    for (const orderId of waitingOrders) expect(stripe.callsFor(orderId)).toBe(1);
    const keys = [...activeOrders, ...waitingOrders].flatMap((orderId) => stripe.requestsOf('payment_intents.create', orderId).map((request) => request.idempotencyKey));
    expect(keys).toHaveLength(9);
    expect(new Set(keys).size).toBe(7);
  });

  it('puts back a job that Bull failed only because it stalled too often', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const api = await start({ redisPrefix: prefix, env: env({ APP_ROLE: 'api' }) });
    const { body } = await api.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_stalled' })).expect(201);
    // What Bull does to a job whose workers died under it more than maxStalledCount times.
    const { QueueRegistry } = await import('../../src/queue-store/queue-registry');
    const queue = api.app.get(QueueRegistry).get('money');
    const taken = await queue.getNextJob();
    expect(String(taken?.id)).toBe(body.id);
    taken!.discard();
    await taken!.moveToFailed({ message: 'job stalled more than allowable limit' }, true);
    expect(await (await queue.getJob(body.id))!.getState()).toBe('failed');

    const worker = await start({ redisPrefix: prefix, env: env() });
    expect(await waitForJobToFinish(worker, tenant.user, body.id, 20_000)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(stripe.effects('intent_created', 'ord_stalled')).toHaveLength(1);
  });
});
