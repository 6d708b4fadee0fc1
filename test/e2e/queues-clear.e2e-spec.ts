import { randomUUID } from 'node:crypto';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, getJob, listJobs, submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { resumeAll } from '../support/queue-state';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';
import { StripeFake } from '../support/stripe-fake/stripe-fake';

/** Clearing needs a paused queue, and pausing writes the `queues` row every app re-applies at start-up. */
const database = privateDatabaseForThisFile();

describe('Clearing a queue (Stripe held at the network edge)', () => {
  let test: TestApp;
  let stripe: StripeFake;

  beforeAll(async () => {
    stripe = await StripeFake.start();
    // Held payments wait as long as a test needs: far from the SDK's timeout.
    test = await startTestApp({ env: { ...database.env(), ...stripe.env({ STRIPE_TIMEOUT_MS: '60000' }) } });
  });
  afterAll(async () => {
    stripe?.releaseAll();
    await resumeAll(test);
    await test?.close();
    await stripe?.close();
  });

  it('removes waiting and delayed jobs of every tenant, cancels their records, and keeps the running one', async () => {
    const [tenantA, tenantB] = [newTenant(), newTenant()];
    const orderId = `ord_held_${randomUUID().slice(0, 8)}`;
    stripe.hold(orderId);
    const active = await submitOk(test, tenantA.user, 'payment-process', paymentData({ orderId }));
    await stripe.entered(orderId);

    await test.http().post('/queues/money/pause').set(auth(tenantA.admin)).expect(200);
    try {
      const waiting = [
        await submitOk(test, tenantA.user, 'payment-process', paymentData({ orderId: 'ord_w1' })),
        await submitOk(test, tenantB.user, 'nft-mint'),
      ];
      const delayed = [
        await submitOk(test, tenantA.venueAdmin, 'refund-process', undefined, { delay: 60_000 }),
        await submitOk(test, tenantB.user, 'payment-process', undefined, { delay: 60_000 }),
      ];
      expect(waiting.map((job) => job.status)).toEqual(['waiting', 'waiting']);
      expect(delayed.map((job) => job.status)).toEqual(['delayed', 'delayed']);

      expectErrorBody(await test.http().post('/queues/money/clear').set(auth(tenantA.venueAdmin)), 403, 'Forbidden');

      const cleared = await test.http().post('/queues/money/clear').set(auth(tenantA.admin)).expect(200);
      expect(cleared.body).toEqual({ name: 'money', removed: 4 });

      const owners = [tenantA, tenantB, tenantA, tenantB];
      for (const [index, job] of [...waiting, ...delayed].entries()) {
        const view = (await getJob(test, owners[index].user, job.id).expect(200)).body;
        expect(view).toMatchObject({ id: job.id, status: 'cancelled' });
        expect(view.finishedAt).not.toBeNull();
        expect(await test.app.get(QueueRegistry).get('money').getJob(job.id)).toBeNull();
      }
      const status = (await test.http().get('/queues/money/status').set(auth(tenantA.user)).expect(200)).body;
      expect(status.counts).toMatchObject({ waiting: 0, delayed: 0, active: 1 });
      expect((await getJob(test, tenantA.user, active.id)).body.status).toBe('active');

      // Clearing again finds nothing left to remove.
      expect((await test.http().post('/queues/money/clear').set(auth(tenantA.admin)).expect(200)).body).toEqual({ name: 'money', removed: 0 });
    } finally {
      await test.http().post('/queues/money/resume').set(auth(tenantA.admin));
    }

    stripe.release(orderId, 'succeed');
    const finished = await waitForJobToFinish(test, tenantA.user, active.id);
    expect(finished).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('clearing a Redis-only queue removes its waiting and delayed jobs', async () => {
    const tenant = newTenant();
    await test.http().post('/queues/background/pause').set(auth(tenant.admin)).expect(200);
    try {
      const waiting = await submitOk(test, tenant.user, 'analytics-process');
      const delayed = await submitOk(test, tenant.admin, 'cleanup', undefined, { delay: 60_000 });
      const cleared = await test.http().post('/queues/background/clear').set(auth(tenant.admin)).expect(200);
      expect(cleared.body).toEqual({ name: 'background', removed: 2 });
      const background = test.app.get(QueueRegistry).get('background');
      expect(await background.getJob(waiting.id)).toBeNull();
      expect(await background.getJob(delayed.id)).toBeNull();
      expect((await listJobs(test, tenant.user, 'background')).total).toBe(0);
    } finally {
      await test.http().post('/queues/background/resume').set(auth(tenant.admin));
    }
  });
});
