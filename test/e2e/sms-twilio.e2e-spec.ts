import { DataSource } from 'typeorm';
import { appsClosedAfterEach } from '../support/app-lifecycle';
import { submitOk } from '../support/job-requests';
import { newTenant, TestApp } from '../support/test-app';
import { TWILIO_ERROR_NUMBERS, TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, TwilioFake } from '../support/twilio-fake';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

const FAST_RETRIES = JSON.stringify({ 'sms-send': { attempts: 4, backoff: 'fixed', baseDelayMs: 200, maxDelayMs: 200 } });

describe('SMS through the Twilio SDK against a Twilio fake on loopback', () => {
  const start = appsClosedAfterEach();
  const twilio = new TwilioFake();
  beforeAll(() => twilio.start());
  afterAll(() => twilio.stop());

  const liveApp = (env: Record<string, string> = {}) =>
    start({
      env: {
        TWILIO_ACCOUNT_SID: TWILIO_SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM: TWILIO_NUMBER,
        TWILIO_API_BASE_URL: twilio.baseUrl,
        RETRY_STRATEGIES: FAST_RETRIES,
        ...env,
      },
    });

  async function sendSms(app: TestApp, to: string, body = 'Your tickets are ready') {
    const tenant = newTenant();
    const job = await submitOk(app, tenant.user, 'sms-send', { to, body });
    return waitForJobToFinish(app, tenant.user, job.id);
  }

  const deadLettered = (app: TestApp, jobId: string) =>
    waitFor(async () => ((await app.app.get(DataSource).query(`SELECT 1 FROM dead_letter_jobs WHERE job_id = $1`, [jobId])).length ? true : undefined));

  it('sends the message through the Messages API and records its SID', async () => {
    const app = await liveApp();
    const finished = await sendSms(app, '+14155550100', 'Doors open at 7');
    expect(finished).toMatchObject({ status: 'completed', attempts: 1 });
    expect(twilio.to('+14155550100')).toEqual([{ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), to: '+14155550100', from: TWILIO_NUMBER, body: 'Doors open at 7' }]);
    expect(finished.result).toEqual({ messageSid: twilio.to('+14155550100')[0].sid, segments: 1 });
  });

  it.each([
    ['+15005550001', 'sms_invalid_number', 21211],
    ['+15005550004', 'sms_opted_out', 21610],
    ['+15005550009', 'sms_not_mobile', 21614],
  ])('fails %s for good on Twilio\'s %s error: one attempt, dead-lettered', async (to, type, code) => {
    const app = await liveApp();
    const finished = await sendSms(app, to);
    expect(finished).toMatchObject({ status: 'failed', attempts: 1, error: { type, permanent: true } });
    expect(finished.error!.message).toContain(`error ${code}`);
    expect(finished.error!.message).toContain(TWILIO_ERROR_NUMBERS[to].message);
    await deadLettered(app, finished.id);
    expect(twilio.requests.filter((request) => request.to === to)).toHaveLength(1);
    expect(twilio.to(to)).toEqual([]);
  });

  it.each([[500], [429]])('retries a Twilio %s and sends exactly one message', async (status) => {
    const app = await liveApp();
    const to = `+1415555${status}1`;
    twilio.failNext(to, status);
    const finished = await sendSms(app, to);
    expect(finished).toMatchObject({ status: 'completed', attempts: 2 });
    expect(twilio.requests.filter((request) => request.to === to).map((request) => request.status)).toEqual([status, 201]);
    expect(twilio.to(to)).toHaveLength(1);
  });

  it('fails for good when Twilio refuses the credentials, and no error names the token', async () => {
    const app = await liveApp({ TWILIO_AUTH_TOKEN: 'not-the-token-of-this-account' });
    const finished = await sendSms(app, '+14155550177');
    expect(finished).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'sms_auth_failed', permanent: true } });
    expect(JSON.stringify(finished)).not.toContain('not-the-token-of-this-account');
    expect(twilio.to('+14155550177')).toEqual([]);
  });

  it('fails every SMS job as provider_disabled when PROVIDERS_DISABLED names sms', async () => {
    const app = await liveApp({ PROVIDERS_DISABLED: 'sms' });
    const finished = await sendSms(app, '+14155550188');
    expect(finished).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'provider_disabled', permanent: true } });
    expect(twilio.requests.filter((request) => request.to === '+14155550188')).toEqual([]);
  });
});
