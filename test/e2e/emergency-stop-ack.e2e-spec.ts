import { auth, getJob, submitOk } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newRedisPrefix, newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

/**
 * The emergency stop answers once every worker process has confirmed it takes no new job:
 * two apps (API and workers each) on one Redis prefix, and a payment submitted the moment the
 * stop answers is never charged at the Stripe fake until the stop is lifted.
 */
describe('Emergency stop: the answer comes once every worker has applied it', () => {
  const tenant = newTenant();
  let stripe: StripeFake;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    stripe = await StripeFake.start();
    const redisPrefix = newRedisPrefix();
    // The poll is slow on purpose: only the broadcast and the workers' confirmations are at work.
    const env = stripe.env({ EMERGENCY_STOP_POLL_MS: '60000', EMERGENCY_STOP_ACK_TIMEOUT_MS: '10000' });
    [first, second] = await Promise.all([startTestApp({ env, redisPrefix }), startTestApp({ env, redisPrefix })]);
  }, 60_000);
  afterAll(async () => {
    await first?.http().post('/rate-limits/resume').set(auth(tenant.admin));
    await Promise.all([first?.close(), second?.close()]);
    await stripe?.close();
  });

  const stopState = async (app: TestApp) =>
    (await app.http().get('/rate-limits/status/stripe').set(auth(tenant.admin)).expect(200)).body.emergencyStop as {
      workers: { paused: number; running: number };
    };

  it('a payment submitted right after the stop answers is not charged until resume, then once', async () => {
    await waitFor(async () => ((await stopState(first)).workers.running === 2 ? true : undefined), 10_000, 'both workers to report');

    const stopped = await first.http().post('/rate-limits/emergency-stop').set(auth(tenant.admin)).expect(200);
    expect(stopped.body).toMatchObject({ stopped: true, status: 'applied', pendingWorkers: [], workers: { paused: 2, running: 0 } });
    expect(stopped.body.acknowledged).toHaveLength(2);

    const orderId = `ord_stop_${Date.now()}`;
    const { id } = await submitOk(second, tenant.user, 'payment-process', paymentData({ orderId }));
    // Neither worker may take it: checked again and again while both hold the stop.
    for (let check = 0; check < 20; check++) {
      expect((await getJob(second, tenant.user, id)).body.status).toBe('waiting');
      expect(stripe.callsFor(orderId)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const resumed = await first.http().post('/rate-limits/resume').set(auth(tenant.admin)).expect(200);
    expect(resumed.body).toMatchObject({ stopped: false, status: 'applied', pendingWorkers: [] });
    expect(await waitForJobToFinish(second, tenant.user, id)).toMatchObject({ status: 'completed' });
    expect(stripe.effects('intent_created', orderId)).toHaveLength(1);
  });

  it('answers pending, naming the late worker, when one has not confirmed in time', async () => {
    const late = await startTestApp({
      env: stripe.env({ APP_ROLE: 'api', EMERGENCY_STOP_POLL_MS: '60000', EMERGENCY_STOP_ACK_TIMEOUT_MS: '3000' }),
      redisPrefix: (first.app.get((await import('../../src/config/app-config')).AppConfig)).redis.prefix,
    });
    try {
      const { RedisClient } = await import('../../src/database/redis.provider');
      // A worker process that reported a moment ago and then stopped answering (it never confirms).
      await late.app.get(RedisClient).hset('emergency-stop:workers', 'silent-host:1', JSON.stringify({ paused: false, stopId: null, at: Date.now() }));
      const stopped = await late.http().post('/rate-limits/emergency-stop').set(auth(tenant.admin)).expect(200);
      expect(stopped.body).toMatchObject({ stopped: true, status: 'pending', pendingWorkers: ['silent-host:1'] });
      expect(stopped.body.acknowledged).toHaveLength(2);
      await late.app.get(RedisClient).hdel('emergency-stop:workers', 'silent-host:1');
      await late.http().post('/rate-limits/resume').set(auth(tenant.admin)).expect(200);
    } finally {
      await late.app.close();
    }
  });
});
