import { randomUUID } from 'node:crypto';
import { QUEUE_DEFINITIONS } from '../../src/config/queues.config';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { auth } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { createPrivateDatabase, PrivateDatabase } from '../support/private-database';
import { startTestApp, TestApp, newTenant } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';
import { StripeFake } from '../support/stripe-fake/stripe-fake';

/** Pausing writes the `queues` row every app re-applies at start-up: a database of its own. */
describe('Priority and delay', () => {
  let stripe: StripeFake;
  let database: PrivateDatabase;
  let test: TestApp;

  beforeAll(async () => {
    database = await createPrivateDatabase();
    stripe = await StripeFake.start();
    // Held payments wait as long as a test needs: far from the SDK's timeout.
    test = await startTestApp({ env: { DATABASE_URL: database.url, ...stripe.env({ STRIPE_TIMEOUT_MS: '60000' }) } });
  });
  afterAll(async () => {
    stripe?.releaseAll();
    await test?.close();
    await stripe?.close();
    await database?.drop();
  });
  /** The orders whose payments reached Stripe, in arrival order. */
  const calls = () => stripe.requestsOf('payment_intents.create').map((request) => request.orderId ?? '');

  async function submit(token: string, orderId: string, options: object): Promise<{ id: string; status: string }> {
    const response = await test.http().post('/jobs').set(auth(token)).send({ type: 'payment-process', data: paymentData({ orderId }), options });
    expect(response.status).toBe(201);
    return response.body;
  }

  it('starts waiting jobs highest priority first, whatever the order they came in', async () => {
    const tenant = newTenant();
    const run = randomUUID().slice(0, 8);
    // Every slot of the money worker but one is held busy, so the jobs below run one at a time.
    const blockers = Array.from({ length: QUEUE_DEFINITIONS.money.concurrency - 1 }, (_, index) => `ord_block_${run}_${index}`);
    for (const orderId of blockers) stripe.hold(orderId);
    const held = await Promise.all(blockers.map((orderId) => submit(tenant.user, orderId, {})));
    await Promise.all(blockers.map((orderId) => stripe.entered(orderId)));
    await test.http().post('/queues/money/pause').set(auth(tenant.admin)).expect(200);
    try {
      const submitted = [];
      // Lowest first: first-in-first-out would run them in exactly the wrong order.
      for (const priority of ['low', 'normal', 'high', 'critical']) {
        // A priority above normal is the venue admin's to ask (a user gets 403).
        submitted.push({ priority, ...(await submit(tenant.venueAdmin, `ord_${priority}_${run}`, { priority })) });
      }
      expect(submitted.map((job) => job.status)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
      const before = calls().length;
      await test.http().post('/queues/money/resume').set(auth(tenant.admin)).expect(200);
      await Promise.all(submitted.map((job) => waitForJobToFinish(test, tenant.venueAdmin, job.id)));
      const order = calls().slice(before).filter((orderId) => orderId.endsWith(`_${run}`) && !orderId.startsWith('ord_block_'));
      expect(order).toEqual(['critical', 'high', 'normal', 'low'].map((priority) => `ord_${priority}_${run}`));
    } finally {
      await test.http().post('/queues/money/resume').set(auth(tenant.admin)).expect(200);
      for (const orderId of blockers) stripe.release(orderId, 'succeed');
    }
    await Promise.all(held.map((job) => waitForJobToFinish(test, tenant.user, job.id)));
  });

  it('keeps a delayed job delayed until its time, then runs it, never earlier', async () => {
    const tenant = newTenant();
    const delay = 1_500;
    const { id, status } = await submit(tenant.user, `ord_delayed_${randomUUID().slice(0, 8)}`, { delay });
    expect(status).toBe('delayed');
    const bullJob = await test.app.get(QueueRegistry).get('money').getJob(id);
    expect(await bullJob?.getState()).toBe('delayed');
    expect((await test.http().get(`/jobs/${id}`).set(auth(tenant.user)).expect(200)).body).toMatchObject({ status: 'delayed', startedAt: null });

    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job.status).toBe('completed');
    // What Bull and the record kept: the job was taken no sooner than its delay after it was added.
    const finished = await test.app.get(QueueRegistry).get('money').getJob(id);
    expect(finished?.processedOn).toBeDefined();
    expect((finished?.processedOn ?? 0) - (finished?.timestamp ?? 0)).toBeGreaterThanOrEqual(delay);
    expect(new Date(String(job.startedAt)).getTime() - new Date(String(job.createdAt)).getTime()).toBeGreaterThanOrEqual(delay);
  });
});
