import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth, submitOk } from '../support/job-requests';
import { SmtpSink } from '../support/smtp-sink';
import { crashWorkers, newRedisPrefix, newTenant, TestApp } from '../support/test-app';
import { TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, TwilioFake } from '../support/twilio-fake';
import { waitFor, waitForJobToFinish, waitForQueuesIdle } from '../support/wait-for';

// Pauses queues and clears alert_history between tests: a database of its own.
const database = privateDatabaseForThisFile();

interface CheckBody { at: string; firing: string[]; raised: string[]; resolved: string[] }
interface AlertBody {
  id: string; tenantId: string | null; severity: string; kind: string; queue: string | null; conditionKey: string | null;
  createdAt: string; lastSeenAt: string | null; resolvedAt: string | null; acknowledgedAt: string | null; acknowledgedBy: string | null;
  details: Record<string, unknown>;
}

const operator = newTenant();
const LOOSE = {
  MONITORING_QUEUE_DEPTH_MAX: '1000000',
  MONITORING_OLDEST_WAITING_MAX_SECONDS: '100000',
  MONITORING_EMERGENCY_STOP_MAX_MINUTES: '100000',
  MONITORING_FAILURE_MIN_JOBS: '100000',
  MONITORING_DLQ_GROWTH_MAX: '100000',
  MONITORING_STALLED_MAX: '100000',
  MONITORING_COOLDOWN_SECONDS: '3600',
};

describe('Monitoring checks and alerts, from real queue states', () => {
  const start = appsClosedAfterEach();
  const app = (env: Record<string, string>) => start({ env: { ...database.env(), ...LOOSE, ...env } });

  beforeEach(async () => {
    const setup = await start({ env: database.env() });
    await setup.app.get(DataSource).query(`DELETE FROM alert_history`);
    await setup.close();
  });

  const check = async (test: TestApp): Promise<CheckBody> =>
    (await test.http().post('/monitoring/check').set(auth(operator.admin)).expect(200)).body as CheckBody;

  async function alertsOf(test: TestApp, token: string, query: Record<string, string> = {}): Promise<AlertBody[]> {
    const { body } = await test.http().get('/alerts').query(query).set(auth(token)).expect(200);
    return body.items as AlertBody[];
  }

  const ofCondition = async (test: TestApp, key: string) => (await alertsOf(test, operator.admin)).filter((alert) => alert.conditionKey === key);

  async function pauseAndFill(test: TestApp, count: number): Promise<void> {
    await test.http().post('/queues/background/pause').set(auth(operator.admin)).expect(200);
    const tenant = newTenant();
    for (let i = 0; i < count; i += 1) await submitOk(test, tenant.user, 'analytics-process', { event: `e${i}` });
  }

  it('raises queue depth once, not again within its cooldown, resolves it when the queue drains, and is acknowledged once', async () => {
    const test = await app({ MONITORING_QUEUE_DEPTH_MAX: '2' });
    await pauseAndFill(test, 3);

    const first = await check(test);
    expect(first.raised).toEqual(['queue_depth:background']);
    const second = await check(test);
    expect(second).toMatchObject({ firing: ['queue_depth:background'], raised: [] });
    const [alert, ...others] = await ofCondition(test, 'queue_depth:background');
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ tenantId: null, severity: 'warning', kind: 'monitoring.queue_depth', queue: 'background', resolvedAt: null, details: { depth: 3, threshold: 2 } });
    expect(Date.parse(alert.lastSeenAt!)).toBeGreaterThanOrEqual(Date.parse(alert.createdAt));

    await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
    await waitForQueuesIdle(test);
    expect((await check(test)).resolved).toEqual(['queue_depth:background']);
    const [resolved] = await ofCondition(test, 'queue_depth:background');
    expect(resolved.resolvedAt).not.toBeNull();

    // Back within the cooldown: the same alert reopens, nobody is told again.
    await pauseAndFill(test, 3);
    expect(await check(test)).toMatchObject({ firing: ['queue_depth:background'], raised: [] });
    const again = await ofCondition(test, 'queue_depth:background');
    expect(again).toEqual([expect.objectContaining({ id: alert.id, resolvedAt: null })]);

    const acknowledged = await test.http().post(`/alerts/${alert.id}/acknowledge`).set(auth(operator.admin)).expect(200);
    expect(acknowledged.body).toMatchObject({ id: alert.id, acknowledgedBy: `${operator.tenantId}:user-1`, acknowledgedAt: expect.any(String) });
    await test.http().post(`/alerts/${alert.id}/acknowledge`).set(auth(operator.admin)).expect(409);
    expect(await alertsOf(test, operator.admin, { acknowledged: 'false' })).toEqual([]);
    expect((await alertsOf(test, operator.admin, { acknowledged: 'true', severity: 'warning' })).map((a) => a.id)).toEqual([alert.id]);
    await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
  });

  it('raises a new alert once the cooldown has passed since the last one', async () => {
    const test = await app({ MONITORING_QUEUE_DEPTH_MAX: '1', MONITORING_COOLDOWN_SECONDS: '0' });
    await pauseAndFill(test, 2);
    expect((await check(test)).raised).toEqual(['queue_depth:background']);
    await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
    await waitForQueuesIdle(test);
    expect((await check(test)).resolved).toEqual(['queue_depth:background']);
    await pauseAndFill(test, 2);
    expect((await check(test)).raised).toEqual(['queue_depth:background']);
    expect(await ofCondition(test, 'queue_depth:background')).toHaveLength(2);
    await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
  });

  it('raises the age of the oldest waiting job, and resolves it once the job ran', async () => {
    const test = await app({ MONITORING_OLDEST_WAITING_MAX_SECONDS: '1' });
    await pauseAndFill(test, 1);
    const raised = await waitFor(async () => {
      const body = await check(test);
      return body.raised.includes('oldest_waiting:background') ? body : undefined;
    }, 10_000, 'the oldest waiting job to be older than 1 s');
    expect(raised.raised).toEqual(['oldest_waiting:background']);
    expect((await check(test)).raised).toEqual([]);
    const [alert] = await ofCondition(test, 'oldest_waiting:background');
    expect(alert).toMatchObject({ severity: 'warning', details: { threshold: 1 } });
    expect(alert.details.ageSeconds).toBeGreaterThan(1);
    await test.http().post('/queues/background/resume').set(auth(operator.admin)).expect(200);
    await waitForQueuesIdle(test);
    expect((await check(test)).resolved).toEqual(['oldest_waiting:background']);
  });

  it('raises an emergency stop left on, and resolves it when lifted', async () => {
    const test = await app({ MONITORING_EMERGENCY_STOP_MAX_MINUTES: '0' });
    expect((await check(test)).firing).toEqual([]);
    await test.http().post('/rate-limits/emergency-stop').set(auth(operator.admin)).expect(200);
    expect((await check(test)).raised).toEqual(['emergency_stop']);
    expect((await check(test)).raised).toEqual([]);
    const [alert] = await ofCondition(test, 'emergency_stop');
    expect(alert).toMatchObject({ severity: 'warning', kind: 'monitoring.emergency_stop', details: { stoppedBy: `${operator.tenantId}:user-1` } });
    await test.http().post('/rate-limits/resume').set(auth(operator.admin)).expect(200);
    expect((await check(test)).resolved).toEqual(['emergency_stop']);
  });

  it('starts and stops monitoring for every process (the flag is in Redis), for admins only', async () => {
    const test = await app({});
    const tenant = newTenant();
    await test.http().post('/monitoring/stop').set(auth(tenant.venueAdmin)).expect(403);
    await test.http().get('/alerts').set(auth(tenant.user)).expect(403);
    const stopped = await test.http().post('/monitoring/stop').set(auth(operator.admin)).expect(200);
    expect(stopped.body).toMatchObject({ running: false, stoppedBy: `${operator.tenantId}:user-1`, notChecked: [expect.stringContaining('solana')] });
    const { MonitoringCheck } = await import('../../src/alerting/monitoring-check');
    expect(await test.app.get(MonitoringCheck).runUnlessStopped()).toEqual({ skipped: true });
    const started = await test.http().post('/monitoring/start').set(auth(operator.admin)).expect(200);
    expect(started.body).toMatchObject({ running: true, stoppedBy: null });
    expect(await test.app.get(MonitoringCheck).runUnlessStopped()).toMatchObject({ skipped: false, firing: [] });
    const status = await test.http().get('/monitoring/status').set(auth(operator.admin)).expect(200);
    expect(status.body.lastCheck).toMatchObject({ firing: [], raised: [] });
  });

  it('raises stalled jobs when a worker dies mid-job (its lock lapses), once, and resolves it when another worker has moved the job on', async () => {
    const sink = await new SmtpSink().start();
    try {
      const prefix = newRedisPrefix();
      // Bull's stall check runs once per QUEUE_STALLED_INTERVAL_MS across the queue's workers (a
      // `stalled-check` key with that TTL) and moves a job only on the check after the one that
      // marked it: with the default 30 s, a dead worker's job stays active for up to a minute.
      const env = {
        ...database.env(), ...LOOSE, SMTP_URL: sink.url, MAIL_FROM: 'Tickets <t@venue.example>',
        QUEUE_LOCK_DURATION_MS: '500', QUEUE_STALLED_INTERVAL_MS: '300', MONITORING_STALLED_MAX: '1',
      };
      const dying = await start({ redisPrefix: prefix, env });
      const held = sink.holdNextAnswer();
      const tenant = newTenant();
      const job = await submitOk(dying, tenant.user, 'email-send', { to: 'fan@venue.example', subject: 'Doors', body: 'Doors open at 7' });
      await held.arrived();
      await crashWorkers(dying);
      // An API-only process on the same Redis: it runs no workers, so nothing takes the job over yet.
      const observer = await start({ redisPrefix: prefix, env: { ...env, APP_ROLE: 'api' } });
      await waitFor(async () => ((await check(observer)).raised.includes('stalled:communication') ? true : undefined), 10_000, 'the lock to lapse');
      const [alert] = await ofCondition(observer, 'stalled:communication');
      expect(alert).toMatchObject({ severity: 'warning', details: { stalled: 1, threshold: 1 } });
      expect((await check(observer)).raised).toEqual([]);
      const communication = observer.app.get(QueueRegistry).get('communication');
      expect(await (await communication.getJob(job.id))!.getState()).toBe('active');

      // The dead worker's send gets its answer; a worker that starts now moves the job out of active.
      held.release();
      await start({ redisPrefix: prefix, env });
      await waitFor(async () => ((await communication.getJob(job.id))?.finishedOn ? true : undefined), 30_000, 'the stalled job to be taken over and finished');
      expect(await communication.getActiveCount()).toBe(0);
      expect(await check(observer)).toMatchObject({ firing: [], resolved: ['stalled:communication'] });
      const [history] = await observer.app.get(DataSource).query(`SELECT resolved_at FROM alert_history WHERE id = $1`, [alert.id]);
      expect(history.resolved_at).not.toBeNull();
    } finally {
      await sink.stop();
    }
  }, 90_000);

  describe('with Twilio on loopback', () => {
    const twilio = new TwilioFake();
    beforeAll(() => twilio.start());
    afterAll(() => twilio.stop());
    const twilioEnv = {
      TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM: TWILIO_NUMBER,
      RETRY_STRATEGIES: JSON.stringify({ 'sms-send': { attempts: 1, backoff: 'fixed', baseDelayMs: 100, maxDelayMs: 100 } }),
    };

    async function failSms(test: TestApp, tenant: ReturnType<typeof newTenant>, to: string, count: number): Promise<void> {
      for (let i = 0; i < count; i += 1) {
        const job = await submitOk(test, tenant.user, 'sms-send', { to, body: `attempt ${i}` });
        expect(await waitForJobToFinish(test, tenant.user, job.id)).toMatchObject({ status: 'failed' });
      }
    }

    it('raises the failure rate of a queue and the tenant’s dead-letter growth; a venue admin sees only its tenant’s', async () => {
      const test = await app({
        ...twilioEnv, TWILIO_API_BASE_URL: twilio.baseUrl,
        MONITORING_FAILURE_MIN_JOBS: '2', MONITORING_FAILURE_RATE_MAX: '0.3', MONITORING_DLQ_GROWTH_MAX: '1',
      });
      const tenant = newTenant();
      await failSms(test, tenant, '+15005550001', 2); // Twilio's invalid number: failed for good, dead-lettered
      await waitFor(async () => ((await test.app.get(DataSource).query(`SELECT 1 FROM dead_letter_jobs WHERE tenant_id = $1`, [tenant.tenantId])).length >= 2 ? true : undefined));
      // The record says failed before Bull moves the job to its failed set: wait for Bull too.
      await waitFor(async () => ((await test.app.get(QueueRegistry).get('communication').getFailedCount()) >= 2 ? true : undefined));
      const first = await check(test);
      expect(first.raised.sort()).toEqual([`dlq_growth:${tenant.tenantId}`, 'failure_rate:communication']);
      expect((await check(test)).raised).toEqual([]);
      const [rate] = await ofCondition(test, 'failure_rate:communication');
      // The dead-lettered jobs' operation.failed events complete on the same queue: finished counts them.
      expect(rate).toMatchObject({ severity: 'critical', tenantId: null, details: { failed: 2, threshold: 0.3 } });
      expect(rate.details.rate).toBeGreaterThanOrEqual(0.5);

      // The venue admin sees its tenant's alerts (the growth, and each job.dead_lettered), none service-wide.
      const seenByVenue = await alertsOf(test, tenant.venueAdmin);
      expect(new Set(seenByVenue.map((alert) => alert.tenantId))).toEqual(new Set([tenant.tenantId]));
      const growth = seenByVenue.filter((alert) => alert.conditionKey !== null);
      expect(growth).toEqual([expect.objectContaining({ conditionKey: `dlq_growth:${tenant.tenantId}`, severity: 'critical', details: expect.objectContaining({ entries: 2 }) })]);
      await test.http().post(`/alerts/${rate.id}/acknowledge`).set(auth(tenant.venueAdmin)).expect(404);
      await test.http().post(`/alerts/${growth[0].id}/acknowledge`).set(auth(tenant.venueAdmin)).expect(200);
      expect(await alertsOf(test, newTenant().venueAdmin)).toEqual([]);
    });

    it('raises an open circuit breaker after failing provider calls, and resolves it once it closes', async () => {
      const test = await app({
        ...twilioEnv, TWILIO_API_BASE_URL: twilio.baseUrl,
        BREAKER_VOLUME_THRESHOLD: '2', BREAKER_ERROR_THRESHOLD_PERCENT: '50', BREAKER_RESET_TIMEOUT_MS: '1000',
      });
      const tenant = newTenant();
      const to = '+14155550911';
      twilio.failNext(to, 500, 2);
      await failSms(test, tenant, to, 2);
      expect((await check(test)).raised).toEqual(['breaker_open:twilio']);
      expect((await check(test)).raised).toEqual([]);
      const [alert] = await ofCondition(test, 'breaker_open:twilio');
      expect(alert).toMatchObject({ severity: 'critical', details: { provider: 'twilio' } });
      // Half-open after the reset timeout; a successful probe closes it.
      await waitFor(async () => ((await check(test)).resolved.includes('breaker_open:twilio') ? true : undefined), 10_000, 'the breaker to leave open');
    });
  });
});
