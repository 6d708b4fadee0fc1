import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth, submitOk } from '../support/job-requests';
import { SmtpSink } from '../support/smtp-sink';
import { newTenant, TestApp } from '../support/test-app';
import { TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, TwilioFake } from '../support/twilio-fake';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { createEndpoint, jobRows } from '../support/webhook-requests';
import { WebhookReceiver } from '../support/webhook-receiver';

// Clears alert_history and runs monitoring checks over every tenant: a database of its own.
const database = privateDatabaseForThisFile();

const ALERT_PHONE = '+14155550142';
const ADMINS = ['ops@venue.example', 'oncall@venue.example'];
const RETRIES = JSON.stringify({
  'sms-send': { attempts: 1, backoff: 'fixed', baseDelayMs: 100, maxDelayMs: 100 },
  'email-send': { attempts: 3, backoff: 'fixed', baseDelayMs: 200, maxDelayMs: 200 },
});

describe('Alert deliveries: e-mail, SMS and webhook, each its own job', () => {
  const start = appsClosedAfterEach();
  const twilio = new TwilioFake();
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  beforeAll(() => twilio.start());
  afterAll(() => twilio.stop());
  beforeEach(async () => {
    sink = await new SmtpSink().start();
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await sink.stop();
    await receiver.close();
  });

  const liveApp = async (env: Record<string, string> = {}) => {
    const test = await start({
      env: {
        ...database.env(),
        SMTP_URL: sink.url, MAIL_FROM: 'Alerts <alerts@venue.example>', ALERT_EMAIL_TO: ADMINS.join(', '),
        TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM: TWILIO_NUMBER, TWILIO_API_BASE_URL: twilio.baseUrl,
        ALERT_SMS_TO: ALERT_PHONE, WEBHOOK_ALLOW_LOOPBACK: 'true', RETRY_STRATEGIES: RETRIES,
        MONITORING_DLQ_GROWTH_MAX: '1', MONITORING_FAILURE_MIN_JOBS: '100000', MONITORING_STALLED_MAX: '100000',
        ...env,
      },
    });
    await test.app.get(DataSource).query(`DELETE FROM alert_history`);
    return test;
  };

  /** Two SMS jobs to Twilio's invalid number: failed for good, two dead-letter entries of the tenant. */
  async function growDeadLetters(test: TestApp, tenant: ReturnType<typeof newTenant>): Promise<void> {
    for (let i = 0; i < 2; i += 1) {
      const job = await submitOk(test, tenant.user, 'sms-send', { to: '+15005550001', body: `attempt ${i}` });
      expect(await waitForJobToFinish(test, tenant.user, job.id)).toMatchObject({ status: 'failed' });
    }
    await waitFor(async () => ((await test.app.get(DataSource).query(`SELECT 1 FROM dead_letter_jobs WHERE tenant_id = $1`, [tenant.tenantId])).length >= 2 ? true : undefined));
  }

  const deliveriesOfAlert = (test: TestApp) =>
    jobRows(test, `origin = 'system' AND type IN ('email-send', 'sms-send', 'webhook-event')`, []);

  it('delivers a tenant alert by SMS and webhook while the e-mail channel fails (SMTP down), each exactly once', async () => {
    const test = await liveApp();
    const tenant = newTenant();
    await createEndpoint(test, tenant.venueAdmin, receiver, ['alert.raised']);
    await growDeadLetters(test, tenant);
    await sink.stop();

    const { body: check } = await test.http().post('/monitoring/check').set(auth(tenant.admin)).expect(200);
    expect(check.raised).toEqual([`dlq_growth:${tenant.tenantId}`]);
    const [alert] = (await test.http().get('/alerts').set(auth(tenant.venueAdmin)).expect(200)).body.items
      .filter((item: { conditionKey: string | null }) => item.conditionKey !== null);

    const hook = await waitFor(async () => receiver.accepted()[0], 15_000, 'the alert.raised webhook');
    expect(hook.body).toMatchObject({ event: 'alert.raised', data: { alertId: alert.id, kind: 'monitoring.dlq_growth', severity: 'critical' } });
    const [sms] = await waitFor(async () => (twilio.to(ALERT_PHONE).length ? twilio.to(ALERT_PHONE) : undefined), 15_000, 'the alert SMS');
    expect(sms.body).toContain('[critical]');

    const finished = await waitFor(async () => {
      const rows = await deliveriesOfAlert(test);
      return rows.length === 4 && rows.every((row) => ['completed', 'failed'].includes(row.status)) ? rows : undefined;
    }, 20_000, 'the four deliveries to finish');
    const byType = (type: string) => finished.filter((row) => row.type === type).map((row) => row.status);
    expect(byType('email-send')).toEqual(['failed', 'failed']);
    expect(byType('sms-send')).toEqual(['completed']);
    expect(byType('webhook-event')).toEqual(['completed']);
    expect(finished.find((row) => row.type === 'email-send')!.attempts).toBe(3);

    // Checked again while the condition holds: no second alert, no second delivery.
    expect((await test.http().post('/monitoring/check').set(auth(tenant.admin)).expect(200)).body.raised).toEqual([]);
    expect(await deliveriesOfAlert(test)).toHaveLength(4);
    expect(twilio.to(ALERT_PHONE)).toHaveLength(1);
  });

  it('sends a test alert through every configured channel and says which succeeded', async () => {
    const test = await liveApp();
    const tenant = newTenant();
    await createEndpoint(test, tenant.admin, receiver, ['alert.raised']);
    await sink.stop();
    await test.http().post('/alerts/test').set(auth(tenant.venueAdmin)).expect(403);

    const { body } = await test.http().post('/alerts/test').set(auth(tenant.admin)).expect(200);
    expect(body.alert).toMatchObject({ kind: 'alert.test', tenantId: tenant.tenantId });
    const outcome = Object.fromEntries(body.channels.map((channel: { channel: string; to?: string; succeeded: boolean }) => [channel.to ?? channel.channel, channel.succeeded]));
    expect(outcome).toEqual({ [ADMINS[0]]: false, [ADMINS[1]]: false, [ALERT_PHONE]: true, webhook: true });
    expect(receiver.accepted().map((hook) => (hook.body as { data: { alertId: string } }).data.alertId)).toEqual([body.alert.id]);
  });

  it('runs the check as a repeatable scheduled-task job and raises what it finds', async () => {
    const test = await liveApp({ MONITORING_INTERVAL_MS: '300' });
    const tenant = newTenant();
    await growDeadLetters(test, tenant);
    // Raised by a tick of the repeatable (a scheduled-task job), not by a direct check.
    const background = test.app.get(QueueRegistry).get('background');
    await waitFor(async () => {
      const ticks = (await background.getCompleted()).filter((job) => job.data.type === 'scheduled-task' && String(job.id).startsWith('repeat:'));
      return ticks.some((job) => ((job.returnvalue as { raised?: string[] }).raised ?? []).includes(`dlq_growth:${tenant.tenantId}`)) ? true : undefined;
    }, 15_000, 'a tick of the repeatable to raise the alert');
    const raised: unknown[] = await test.app.get(DataSource).query(`SELECT id FROM alert_history WHERE condition_key = $1`, [`dlq_growth:${tenant.tenantId}`]);
    expect(raised).toHaveLength(1);
    const repeatables = await background.getRepeatableJobs();
    expect(repeatables).toEqual([expect.objectContaining({ id: 'monitoring-check', every: 300 })]);
  });

  it('checks directly when the scheduled check cannot run (emergency stop on), once per interval across processes', async () => {
    const test = await liveApp({ MONITORING_INTERVAL_MS: '300', MONITORING_QUEUE_DEPTH_MAX: '2' });
    const operator = newTenant();
    await test.http().post('/rate-limits/emergency-stop').set(auth(operator.admin)).expect(200);
    await waitFor(async () => {
      const { body } = await test.http().get('/rate-limits/status/stripe').set(auth(operator.admin)).expect(200);
      return body.emergencyStop.workers.paused === 1 && body.emergencyStop.workers.running === 0 ? true : undefined;
    }, 10_000, 'the worker to apply the stop');
    // Only now does the backlog build: no job (the repeatable's ticks included) runs from here on.
    for (let i = 0; i < 3; i += 1) await submitOk(test, operator.user, 'analytics-process', { event: `stopped-${i}` });
    const raised = await waitFor(async () => {
      const rows: { id: string }[] = await test.app.get(DataSource).query(`SELECT id FROM alert_history WHERE condition_key = 'queue_depth:background'`);
      return rows.length ? rows : undefined;
    }, 15_000, 'the fallback check to raise queue_depth:background');
    expect(raised).toHaveLength(1);
    await test.http().post('/rate-limits/resume').set(auth(operator.admin)).expect(200);
  });
});
