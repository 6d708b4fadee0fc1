import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { JOB_EVENTS, JobCompletedEvent } from '../../src/job-definitions/job-events';
import { StaleAttemptError } from '../../src/job-definitions/job-errors';
import { PaymentGateway } from '../../src/payments/payment.gateway';
import { RunWatch, snapshot } from '../support/attempt-watch';
import { FakeStripe, gate } from '../support/fake-stripe';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { paymentJob } from '../support/payloads';
import { crashWorkers, deleteRedisKeys, newRedisPrefix, newTenant, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

/** Short locks, leases and recovery intervals, so stalls and recovery happen within a test. */
const FAST = {
  QUEUE_LOCK_DURATION_MS: '800',
  QUEUE_STALLED_INTERVAL_MS: '300',
  JOB_LEASE_MS: '800',
  RECOVERY_INTERVAL_MS: '300',
  RECOVERY_GRACE_MS: '0',
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
  const start = appsClosedAfterEach();

  it('re-runs a job whose worker died after the provider call, without a second charge; the dead worker writes nothing', async () => {
    const prefix = newRedisPrefix();
    const dyingStripe = new FakeStripe();
    const answerLost = gate();
    let charged!: () => void;
    const chargedOnce = new Promise<void>((resolve) => (charged = resolve));
    dyingStripe.after = async () => {
      charged();
      await answerLost.wait;
    };
    const dying = await start({ redisPrefix: prefix, env: FAST, gateways: [{ provide: PaymentGateway, useValue: dyingStripe }] });
    const dyingRuns = new RunWatch(dying);
    const tenant = newTenant();
    const { body } = await dying.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_crash' })).expect(201);
    await chargedOnce;
    await crashWorkers(dying);

    // Stripe keeps what it charged; the survivor talks to the same Stripe.
    const survivorStripe = new FakeStripe();
    survivorStripe.charges.set(dyingStripe.calls[0], dyingStripe.charges.get(dyingStripe.calls[0])!);
    const survivor = await start({ redisPrefix: prefix, env: FAST, gateways: [{ provide: PaymentGateway, useValue: survivorStripe }] });
    const job = await waitForJobToFinish(survivor, tenant.user, body.id, 20_000);

    expect(job.status).toBe('completed');
    expect(survivorStripe.calls).toEqual([dyingStripe.calls[0]]); // same Idempotency-Key: a replay, not a charge
    expect(survivorStripe.charges.size).toBe(1);
    expect(job.result).toMatchObject({ paymentIntentId: dyingStripe.charges.get(dyingStripe.calls[0])!.paymentIntentId });

    // The dead worker wakes up with the charge's answer: its fence is stale, so it can write nothing.
    const db = survivor.app.get(DataSource);
    const before = await snapshot(db, body.id);
    expect(before.record).toMatchObject({ status: 'completed', fence: '2' });
    // Both steps journalled by the survivor (ordered by step name).
    expect(before.journal).toMatchObject([{ step: 'payment_intent_confirmed', fence: '2' }, { step: 'payment_intent_created', fence: '2' }]);
    answerLost.open();
    const stale = await dyingRuns.settled(body.id);
    expect(await snapshot(db, body.id)).toEqual(before);
    expect(dyingRuns.completionsOf(body.id)).toBe(0);
    expect(stale).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });
  });

  it('resumes after a recorded step instead of repeating it', async () => {
    const stripe = new FakeStripe();
    const app = await start({ env: FAST, gateways: [{ provide: PaymentGateway, useValue: stripe }] });
    const tenant = newTenant();
    const { body } = await app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_journal' })).expect(201);
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
    expect(stripe.calls).toHaveLength(1);
    expect(rerun.result).toMatchObject({ paymentIntentId: 'pi_fake_1' });
  });

  it('recovers every persisted job after Redis lost its keys, and each completes exactly once', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const stripe = new FakeStripe();
    const held = gate();
    stripe.before = async (request) => {
      if (request.description === 'hold') await held.wait;
    };

    // Two jobs running on a worker and five waiting (submitted through an API-only process).
    const worker = await start({ redisPrefix: prefix, env: FAST, gateways: [{ provide: PaymentGateway, useValue: stripe }] });
    const crashedRuns = new RunWatch(worker);
    const api = await start({ redisPrefix: prefix, env: { ...FAST, APP_ROLE: 'api' } });
    const submit = (app: TestApp, body: object) => app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(body).expect(201);
    const active = [
      await submit(worker, paymentJob({ orderId: 'ord_active_1', description: 'hold' })),
      await submit(worker, paymentJob({ orderId: 'ord_active_2', description: 'hold' })),
    ].map((response) => response.body.id as string);
    await waitFor(async () => ((await worker.http().get('/queues/money/status').set('Authorization', `Bearer ${tenant.user}`)).body.counts.active === 2 ? true : undefined));
    await crashWorkers(worker);
    const waiting: string[] = [];
    for (let index = 0; index < 5; index += 1) waiting.push((await submit(api, paymentJob({ orderId: `ord_waiting_${index}` }))).body.id);

    await deleteRedisKeys(prefix);

    const freshStripe = new FakeStripe();
    const restarted = await start({ redisPrefix: prefix, env: FAST, gateways: [{ provide: PaymentGateway, useValue: freshStripe }] });
    const completions = completionCounter([worker, restarted]);
    for (const id of [...active, ...waiting]) {
      expect(await waitForJobToFinish(restarted, tenant.user, id, 20_000)).toMatchObject({ status: 'completed' });
    }
    // The crashed worker's two held attempts get their answers now: they must end refused, writing nothing.
    const db = restarted.app.get(DataSource);
    const before = await Promise.all(active.map((id) => snapshot(db, id)));
    held.open();
    const staleOutcomes = await Promise.all(active.map((id) => crashedRuns.settled(id)));
    expect(await Promise.all(active.map((id) => snapshot(db, id)))).toEqual(before);
    for (const id of [...active, ...waiting]) expect(completions.get(id)).toBe(1);
    for (const outcome of staleOutcomes) expect(outcome).toMatchObject({ settled: 'rejected', error: expect.any(StaleAttemptError) });
    expect(stripe.calls).toHaveLength(2);
    expect(freshStripe.charges.size).toBe(7);
    expect(new Set(freshStripe.calls).size).toBe(7);
  });

  it('puts back a job that Bull failed only because it stalled too often', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const api = await start({ redisPrefix: prefix, env: { ...FAST, APP_ROLE: 'api' } });
    const { body } = await api.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`).send(paymentJob({ orderId: 'ord_stalled' })).expect(201);
    // What Bull does to a job whose workers died under it more than maxStalledCount times.
    const { QueueRegistry } = await import('../../src/queue-store/queue-registry');
    const queue = api.app.get(QueueRegistry).get('money');
    const taken = await queue.getNextJob();
    expect(String(taken?.id)).toBe(body.id);
    taken!.discard();
    await taken!.moveToFailed({ message: 'job stalled more than allowable limit' }, true);
    expect(await (await queue.getJob(body.id))!.getState()).toBe('failed');

    const stripe = new FakeStripe();
    const worker = await start({ redisPrefix: prefix, env: FAST, gateways: [{ provide: PaymentGateway, useValue: stripe }] });
    expect(await waitForJobToFinish(worker, tenant.user, body.id, 20_000)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(stripe.charges.size).toBe(1);
  });
});
