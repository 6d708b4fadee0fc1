import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeadLetterRecorder } from '../../src/dead-letters/dead-letter-recorder';
import { MAX_DEAD_LETTER_DATA_BYTES, MAX_DEAD_LETTER_MESSAGE_LENGTH } from '../../src/dead-letters/storable-dead-letter';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, paymentData } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, TwilioFake } from '../support/twilio-fake';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

// These tests add CHECK constraints to shared tables: a database of this file's own.
privateDatabaseForThisFile();

interface DeadLetterRow {
  id: string;
  data: Record<string, unknown>;
  error_type: string;
  error_message: string;
}

/** A job that fails for good always leaves its dead-letter entry, whatever it carries and whatever else fails. */
describe('Dead-letter entries always land', () => {
  let test: TestApp;
  let database: DataSource;
  const twilio = new TwilioFake();

  beforeAll(async () => {
    await twilio.start();
    test = await startTestApp({
      env: { TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM: TWILIO_NUMBER, TWILIO_API_BASE_URL: twilio.baseUrl },
    });
    database = test.app.get(DataSource);
  });
  afterAll(async () => {
    await test?.close();
    await twilio.stop();
  });

  const entriesOf = (jobId: string): Promise<DeadLetterRow[]> =>
    database.query('SELECT id, data, error_type, error_message FROM dead_letter_jobs WHERE job_id = $1', [jobId]);
  const deadLettered = (jobId: string) => waitFor(async () => ((await entriesOf(jobId)).length ? entriesOf(jobId) : undefined));

  /** A CHECK constraint for the length of one test: PostgreSQL refuses what it names. */
  async function withConstraint(table: string, check: string, work: () => Promise<void>): Promise<void> {
    const name = `refuse_${randomUUID().slice(0, 8)}`;
    await database.query(`ALTER TABLE ${table} ADD CONSTRAINT ${name} CHECK (${check}) NOT VALID`);
    try {
      await work();
    } finally {
      await database.query(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
    }
  }

  it('a provider error with NUL characters: the job is failed and dead-lettered, the message cleaned and bounded', async () => {
    const tenant = newTenant();
    const job = await submitOk(test, tenant.user, 'sms-send', { to: '+15005550010', body: 'Your code is 4711' });
    const finished = await waitForJobToFinish(test, tenant.user, job.id);
    expect(finished).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'sms_rejected', permanent: true } });
    const [entry] = await deadLettered(job.id);
    expect(entry.error_type).toBe('sms_rejected');
    expect(entry.error_message).toMatch(/^Twilio answered 400 \(error 30008\): Unknown error from the carrier:x+…?$/);
    expect(entry.error_message).not.toContain('\u0000');
    expect(entry.error_message.length).toBeLessThanOrEqual(MAX_DEAD_LETTER_MESSAGE_LENGTH);
    expect(entry.data).toEqual({ to: '+15005550010', body: 'Your code is 4711' });
  });

  it('a failing operation.failed follow-up write does not take the entry with it', async () => {
    const tenant = newTenant();
    // The follow-up is a webhook-event job record written in the entry's transaction: make that write fail.
    await withConstraint('jobs', "type <> 'webhook-event'", async () => {
      const job = await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
      expect(await waitForJobToFinish(test, tenant.user, job.id)).toMatchObject({ status: 'failed' });
      const [entry] = await deadLettered(job.id);
      expect(entry).toMatchObject({ error_type: 'card_declined', data: DECLINED_PAYMENT });
      const followUps = await database.query(`SELECT id FROM jobs WHERE parent_job_id = $1`, [job.id]);
      expect(followUps).toEqual([]);
    });
  });

  it('an entry PostgreSQL refuses for its data still lands, without the data', async () => {
    const tenant = newTenant();
    const data = paymentData({ orderId: 'ord_refused', paymentMethodId: DECLINED_PAYMENT.paymentMethodId });
    await withConstraint('dead_letter_jobs', "data->>'orderId' IS DISTINCT FROM 'ord_refused'", async () => {
      const job = await submitOk(test, tenant.user, 'payment-process', data);
      expect(await waitForJobToFinish(test, tenant.user, job.id)).toMatchObject({ status: 'failed' });
      const [entry] = await deadLettered(job.id);
      expect(entry).toMatchObject({ error_type: 'card_declined', data: { unstorable: true, reason: 'refused_by_database' } });
    });
  });

  it('the recorder stores NUL-laden, oversized entries cleaned: strings and keys without NUL, data too large replaced by a marker', async () => {
    const tenant = newTenant();
    const recorder = test.app.get(DeadLetterRecorder);
    const base = {
      tenantId: tenant.tenantId, queue: 'communication', type: 'sms-send', idempotencyKey: 'key\u0000one', attempts: 3,
      errorType: 'weird\u0000type', firstFailedAt: new Date(), lastFailedAt: new Date(),
    };
    const small = { jobId: randomUUID(), data: { 'to\u0000': '+1415\u00005550123', nested: [{ body: 'a\uD800b' }] }, errorMessage: 'm\u0000'.repeat(5000) };
    const large = { jobId: randomUUID(), data: { body: 'x'.repeat(MAX_DEAD_LETTER_DATA_BYTES) }, errorMessage: 'too large' };
    await recorder.record({ ...base, ...small });
    await recorder.record({ ...base, ...large });
    const [cleaned] = await entriesOf(small.jobId);
    expect(cleaned.data).toEqual({ to: '+14155550123', nested: [{ body: 'a\uFFFDb' }] });
    expect(cleaned.error_type).toBe('weirdtype');
    expect(cleaned.error_message).toBe(`${'m'.repeat(MAX_DEAD_LETTER_MESSAGE_LENGTH - 1)}…`);
    const [marked] = await entriesOf(large.jobId);
    expect(marked.data).toEqual({ unstorable: true, reason: 'too_large', bytes: MAX_DEAD_LETTER_DATA_BYTES + 11 });
  });
});
