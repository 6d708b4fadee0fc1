import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeadLetterRecorder } from '../../src/dead-letters/dead-letter-recorder';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { VALID_PAYLOADS } from '../support/payloads';
import { createPrivateDatabase, PrivateDatabase } from '../support/private-database';
import { startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const DAY_MS = 24 * 3600 * 1000;
const EVERY_SECOND = '* * * * * *';

/**
 * The idempotency-key cleanup and the dead-letter retention run on their own schedules, as
 * `scheduled-task` jobs of Bull repeatables (the crons only enqueue); here both are set to every
 * second and nothing calls them. A database of its own: a retention
 * run every second would otherwise remove entries other files of the run have just seeded.
 */
describe('Housekeeping crons', () => {
  let database: PrivateDatabase;
  let test: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    database = await createPrivateDatabase();
    test = await startTestApp({
      env: { DATABASE_URL: database.url, IDEMPOTENCY_CLEANUP_CRON: EVERY_SECOND, DLQ_RETENTION_CRON: EVERY_SECOND },
    });
    db = test.app.get(DataSource);
  });
  afterAll(async () => {
    await test?.close();
    await database?.drop();
  });

  async function seedKey(tenantId: string, key: string, expiresInMs: number): Promise<void> {
    await db.query(
      `INSERT INTO idempotency_keys (tenant_id, key, job_id, request_hash, status, expires_at)
       VALUES ($1, $2, $3, 'hash', 'completed', now() + make_interval(secs => $4))`,
      [tenantId, key, randomUUID(), expiresInMs / 1000],
    );
  }

  async function seedDeadLetter(tenantId: string, ageDays: number): Promise<string> {
    const jobId = randomUUID();
    await test.app.get(DeadLetterRecorder).record({
      tenantId, jobId, queue: 'money', type: 'payment-process', data: VALID_PAYLOADS['payment-process'],
      idempotencyKey: null, errorType: 'card_declined', errorMessage: 'Your card was declined.', attempts: 1,
      firstFailedAt: new Date(), lastFailedAt: new Date(),
    });
    await db.query(`UPDATE dead_letter_jobs SET created_at = $1 WHERE job_id = $2`, [new Date(Date.now() - ageDays * DAY_MS), jobId]);
    return jobId;
  }

  const keysOf = async (tenantId: string): Promise<string[]> =>
    (await db.query(`SELECT key FROM idempotency_keys WHERE tenant_id = $1 ORDER BY key`, [tenantId])).map((row: { key: string }) => row.key);
  const deadLettersOf = async (tenantId: string): Promise<string[]> =>
    (await db.query(`SELECT job_id FROM dead_letter_jobs WHERE tenant_id = $1`, [tenantId])).map((row: { job_id: string }) => row.job_id);

  it('has both as Bull repeatables on their configured expressions', async () => {
    const repeatables = await test.app.get(QueueRegistry).get('background').getRepeatableJobs();
    const byId = Object.fromEntries(repeatables.map(({ id, cron }) => [id, cron]));
    expect(byId).toMatchObject({ 'idempotency-cleanup': EVERY_SECOND, 'dlq-retention': EVERY_SECOND });
  });

  it('removes expired idempotency keys and keeps live ones, without being called', async () => {
    const tenantId = randomUUID();
    await seedKey(tenantId, 'expired', -3600_000);
    await seedKey(tenantId, 'live', 3600_000);
    await waitFor(async () => ((await keysOf(tenantId)).includes('expired') ? undefined : true), 10_000, 'the cleanup cron to remove the expired key');
    expect(await keysOf(tenantId)).toEqual(['live']);
  });

  it('removes dead-letter entries past retention and keeps younger ones, without being called', async () => {
    const tenantId = randomUUID();
    const old = await seedDeadLetter(tenantId, 31);
    const young = await seedDeadLetter(tenantId, 29);
    await waitFor(async () => ((await deadLettersOf(tenantId)).includes(old) ? undefined : true), 10_000, 'the retention cron to remove the old entry');
    expect(await deadLettersOf(tenantId)).toEqual([young]);
  });
});
