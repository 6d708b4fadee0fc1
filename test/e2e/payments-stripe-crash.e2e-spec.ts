import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { crashWorkers, newRedisPrefix, newTenant } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

/** Short locks, leases and recovery, so a crashed worker's job is re-run within the test. */
const FAST = {
  QUEUE_LOCK_DURATION_MS: '800',
  QUEUE_STALLED_INTERVAL_MS: '300',
  JOB_LEASE_MS: '800',
  RECOVERY_INTERVAL_MS: '300',
  RECOVERY_GRACE_MS: '0',
};

// Recovery with no grace re-adds every pending record of its database: this file has its own.
const database = privateDatabaseForThisFile();

describe('A payment whose worker crashed mid-way resumes at Stripe without a second intent', () => {
  const start = appsClosedAfterEach();
  let fake: StripeFake;

  beforeAll(async () => {
    fake = await StripeFake.start();
  });
  afterAll(async () => {
    await fake?.close();
  });

  /** Two processes of one deployment (one Redis prefix, one database), both on the one Stripe. */
  const deployment = () => {
    const redisPrefix = newRedisPrefix();
    return () => start({ redisPrefix, env: { ...database.env(), ...fake.env(), ...FAST } });
  };

  it('crash after Stripe created the intent, before its answer was journalled: the re-run replays the same key', async () => {
    const process = deployment();
    const orderId = `ord_lost_${randomUUID().slice(0, 8)}`;
    fake.hold(orderId, { operation: 'payment_intents.create', phase: 'after', once: true });
    const dying = await process();
    const tenant = newTenant();
    const { id } = await submitOk(dying, tenant.user, 'payment-process', paymentData({ orderId }));
    await fake.entered(orderId);
    expect(fake.effects('intent_created', orderId)).toHaveLength(1);
    await crashWorkers(dying);

    const survivor = await process();
    const job = await waitForJobToFinish(survivor, tenant.user, id, 20_000);
    const intents = fake.effects('intent_created', orderId);
    expect(job).toMatchObject({ status: 'completed' });
    expect(intents).toHaveLength(1);
    expect(job.result).toMatchObject({ paymentIntentId: intents[0].objectId, status: 'succeeded' });
    const creates = fake.requestsOf('payment_intents.create', orderId);
    expect(creates.map((request) => request.replayed)).toEqual([false, true]);
    expect(new Set(creates.map((request) => request.idempotencyKey)).size).toBe(1);

    // The dead worker's connection breaks; the SDK's own retry of it is one more replay, not an intent.
    fake.release(orderId, 'drop');
    await waitFor(async () => (fake.requestsOf('payment_intents.create', orderId).length === 3 ? true : undefined), 10_000, "the dead worker's retry");
    await waitFor(async () => (fake.requestsOf('payment_intents.create', orderId)[2].answered ? true : undefined));
    expect(fake.requestsOf('payment_intents.create', orderId)[2].replayed).toBe(true);
    expect(fake.effects('intent_created', orderId)).toHaveLength(1);
    expect(fake.effects('intent_confirmed', orderId)).toHaveLength(1);
  });

  it('crash between create (journalled) and confirm: the re-run retrieves the recorded intent and confirms it, creating none', async () => {
    const process = deployment();
    const orderId = `ord_between_${randomUUID().slice(0, 8)}`;
    fake.hold(orderId, { operation: 'payment_intents.confirm', phase: 'before', once: true });
    const dying = await process();
    const tenant = newTenant();
    const { id } = await submitOk(dying, tenant.user, 'payment-process', paymentData({ orderId }));
    await fake.entered(orderId);
    const db = dying.app.get(DataSource);
    expect(await db.query(`SELECT step FROM critical_jobs WHERE job_id = $1`, [id])).toEqual([{ step: 'payment_intent_created' }]);
    await crashWorkers(dying);

    const survivor = await process();
    const job = await waitForJobToFinish(survivor, tenant.user, id, 20_000);
    const [intent] = fake.effects('intent_created', orderId);
    expect(job).toMatchObject({ status: 'completed', result: { paymentIntentId: intent.objectId, status: 'succeeded' } });
    expect(fake.requestsOf('payment_intents.create', orderId)).toHaveLength(1);
    expect(fake.requestsOf('payment_intents.retrieve', orderId)).toHaveLength(1);
    expect(fake.effects('intent_created', orderId)).toHaveLength(1);
    expect(fake.effects('intent_confirmed', orderId)).toHaveLength(1);

    // The dead worker's held confirmation, let through now, replays the survivor's: no second confirmation.
    fake.release(orderId, 'succeed');
    await waitFor(async () => (fake.requestsOf('payment_intents.confirm', orderId).every((request) => request.answered) ? true : undefined));
    // In arrival order: the dead worker's (held, answered last, a replay), then the survivor's.
    expect(fake.requestsOf('payment_intents.confirm', orderId).map((request) => request.replayed)).toEqual([true, false]);
    expect(fake.effects('intent_confirmed', orderId)).toHaveLength(1);
  });
});
