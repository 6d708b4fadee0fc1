import bs58 from 'bs58';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { isSolanaAddress } from '../../src/common/validation/validators';
import { clientJobTypes, ClientJobType as JobType } from '../../src/job-definitions/job-types';
import { PaymentGateway } from '../../src/payments/payment.gateway';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { OTHER_WALLET, VALID_PAYLOADS, WALLET } from '../support/payloads';
import { HeldPaymentGateway } from '../support/held-stripe';
import { createPrivateDatabase, PrivateDatabase } from '../support/private-database';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

type Tenant = ReturnType<typeof newTenant>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const QUEUE_OF: Record<JobType, string> = {
  'payment-process': 'money',
  'refund-process': 'money',
  'nft-mint': 'money',
  'nft-transfer': 'money',
  'email-send': 'communication',
  'sms-send': 'communication',
  'analytics-process': 'background',
  cleanup: 'background',
  'scheduled-task': 'background',
};
const PERSISTED: JobType[] = ['payment-process', 'refund-process', 'nft-mint', 'nft-transfer', 'email-send', 'sms-send'];
const JOB_VIEW_FIELDS = [
  'id', 'queue', 'type', 'status', 'attempts', 'progress', 'data', 'result', 'error', 'createdAt', 'startedAt', 'finishedAt',
];

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

function submit(test: TestApp, token: string, body: unknown) {
  return test.http().post('/jobs').set(auth(token)).send(body as object);
}

async function submitOk(test: TestApp, token: string, type: JobType, data: object = VALID_PAYLOADS[type], options?: object) {
  const response = await submit(test, token, { type, data, ...(options ? { options } : {}) });
  expect(response.status).toBe(201);
  return response.body as { id: string; queue: string; type: JobType; status: string };
}

function getJob(test: TestApp, token: string, id: string) {
  return test.http().get(`/jobs/${id}`).set(auth(token));
}

/** Bull's state of a job once its worker has let go of it (the record is final a moment earlier). */
async function settledBullJob(test: TestApp, queue: 'money' | 'communication' | 'background', id: string) {
  return waitFor(async () => {
    const job = await test.app.get(QueueRegistry).get(queue).getJob(id);
    const state = await job?.getState();
    return job && state !== 'active' ? { state, attemptsMade: job.attemptsMade } : undefined;
  }, 5_000, `Bull to settle job ${id}`);
}

/** Every error: exactly {statusCode, error, message, details?, requestId}, never a stack trace. */
function expectErrorBody(response: Response, statusCode: number, error: string): void {
  expect(response.status).toBe(statusCode);
  const { body } = response;
  const keys = ['error', 'message', 'requestId', 'statusCode', ...(body.details ? ['details'] : [])].sort();
  expect(Object.keys(body).sort()).toEqual(keys);
  expect(body).toMatchObject({ statusCode, error, message: expect.any(String) });
  expect(typeof body.requestId).toBe('string');
  expect(body.requestId.length).toBeGreaterThan(0);
  expect(response.headers['x-request-id']).toBe(body.requestId);
  if (body.details) {
    expect(Array.isArray(body.details)).toBe(true);
    for (const detail of body.details) expect(Object.keys(detail).sort()).toEqual(['field', 'message']);
  }
  expect(JSON.stringify(body)).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+|stack/i);
}

const fieldsOf = (response: Response): string[] =>
  [...new Set<string>((response.body.details ?? []).map((detail: { field: string }) => detail.field))].sort();

/** Total of a tenant's jobs in a queue, as its own user sees them. */
async function tenantJobCount(test: TestApp, token: string, queue: string): Promise<number> {
  const response = await test.http().get(`/queues/${queue}/jobs`).set(auth(token)).expect(200);
  return response.body.total;
}

describe('Jobs', () => {
  let test: TestApp;
  // A test here pauses a queue, which every app re-applies at start-up: a database of its own.
  let database: PrivateDatabase;

  beforeAll(async () => {
    database = await createPrivateDatabase();
    test = await startTestApp({ env: { DATABASE_URL: database.url } });
  });
  afterAll(async () => {
    await test?.close();
    await database?.drop();
  });

  describe('POST /jobs runs every job type to completion', () => {
    const today = () => new Date().toISOString().slice(0, 10);
    const base58OfBytes = (bytes: number) => expect.stringMatching(new RegExp(`^[1-9A-HJ-NP-Za-km-z]{${bytes === 32 ? '32,44' : '64,88'}}$`));

    const EXPECTED_RESULTS: Record<JobType, () => object> = {
      'payment-process': () => ({
        orderId: 'ord_1',
        paymentIntentId: expect.stringMatching(/^pi_sandbox_[0-9a-f]{24}$/),
        status: 'succeeded',
        amount: 2500,
        currency: 'usd',
      }),
      'refund-process': () => ({
        orderId: 'ord_1',
        paymentIntentId: 'pi_123',
        refundId: expect.stringMatching(/^re_sandbox_[0-9a-f]{24}$/),
        status: 'succeeded',
        amount: 1000,
      }),
      'nft-mint': () => ({
        ticketId: 'tkt_42',
        mintAddress: base58OfBytes(32),
        signature: base58OfBytes(64),
        explorerUrl: expect.stringMatching(/^https:\/\/explorer\.solana\.com\/tx\/[1-9A-HJ-NP-Za-km-z]+/),
      }),
      'nft-transfer': () => ({
        ticketId: 'tkt_42',
        mintAddress: OTHER_WALLET,
        toWallet: WALLET,
        signature: base58OfBytes(64),
        explorerUrl: expect.stringMatching(/^https:\/\/explorer\.solana\.com\/tx\//),
      }),
      'email-send': () => ({ messageId: expect.stringMatching(/^<[0-9a-f]{24}@sandbox\.queue-service>$/), template: 'payment-confirmation' }),
      'sms-send': () => ({ messageSid: expect.stringMatching(/^SM[0-9a-f]{24}$/), segments: 1 }),
      'analytics-process': () => ({ event: 'ticket.scanned', day: today(), count: 1 }),
      cleanup: () => ({ removed: { 'completed-jobs': 0, 'job-records': 0, 'idempotency-keys': 0, 'dead-letter': 0 } }),
      'scheduled-task': () => ({ task: 'queue-metrics-snapshot', queues: 3 }),
    };

    it.each(clientJobTypes())('%s: 201 {id, queue, type, status}, then completed with its result', async (type) => {
      const tenant = newTenant();
      const response = await submit(test, tenant.user, { type, data: VALID_PAYLOADS[type] }).expect(201);
      expect(response.body).toEqual({ id: expect.stringMatching(UUID), queue: QUEUE_OF[type], type, status: 'waiting' });

      const job = await waitForJobToFinish(test, tenant.user, response.body.id);
      expect(Object.keys(job)).toEqual(expect.arrayContaining(JOB_VIEW_FIELDS));
      expect(job).toMatchObject({
        id: response.body.id,
        queue: QUEUE_OF[type],
        type,
        status: 'completed',
        attempts: 1,
        data: VALID_PAYLOADS[type],
        error: null,
      });
      expect(job.result).toEqual(EXPECTED_RESULTS[type]());
      if (PERSISTED.includes(type)) expect(job.progress).toBe(100);
      const createdAt = Date.parse(String(job.createdAt));
      const startedAt = Date.parse(String(job.startedAt));
      const finishedAt = Date.parse(String(job.finishedAt));
      expect(createdAt).toBeLessThanOrEqual(startedAt);
      expect(startedAt).toBeLessThanOrEqual(finishedAt);
    });

    it('never shows a Redis-only job completed without its result and finish time', async () => {
      // Polls background jobs as a client would, until each has finished. A view read partly
      // before and partly after the job completed shows 'completed' with no result: a job that
      // does some I/O (scheduled-task writes queue_metrics) is caught that way about one time in five.
      const tenant = newTenant();
      const torn: object[] = [];
      for (let round = 0; round < 40; round += 1) {
        const { id } = await submitOk(test, tenant.user, 'scheduled-task');
        const job = await waitForJobToFinish(test, tenant.user, id);
        if (job.status === 'completed' && (job.result === null || job.finishedAt === null)) torn.push(job);
      }
      expect(torn).toEqual([]);
    });

    it('nft-mint answers a mint address that is a 32-byte base58 public key', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'nft-mint');
      const job = await waitForJobToFinish(test, tenant.user, id);
      const { mintAddress, signature } = job.result as { mintAddress: string; signature: string };
      expect(isSolanaAddress(mintAddress)).toBe(true);
      expect(bs58.decode(signature)).toHaveLength(64);
    });

    it('lower-cases the currency in the stored data and the charge', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], currency: 'EUR' });
      const job = await waitForJobToFinish(test, tenant.user, id);
      expect(job).toMatchObject({ status: 'completed', data: { currency: 'eur' }, result: { currency: 'eur' } });
    });

    it('analytics counts each tenant’s events on its own', async () => {
      const [first, second] = [newTenant(), newTenant()];
      const run = async (tenant: Tenant) => (await waitForJobToFinish(test, tenant.user, (await submitOk(test, tenant.user, 'analytics-process')).id)).result;
      expect(await run(first)).toMatchObject({ count: 1 });
      expect(await run(first)).toMatchObject({ count: 2 });
      expect(await run(second)).toMatchObject({ count: 1 });
    });

    it('cleanup removes only the submitting tenant’s old job records', async () => {
      const [owner, neighbour] = [newTenant(), newTenant()];
      const db = test.app.get(DataSource);
      const insert = (tenantId: string, finishedDaysAgo: number) => {
        const id = randomUUID();
        return db
          .query(
            `INSERT INTO jobs (id, tenant_id, queue, type, status, priority, data, max_attempts, finished_at)
             VALUES ($1, $2, 'money', 'payment-process', 'completed', 3, '{}', 1, now() - make_interval(days => $3))`,
            [id, tenantId, finishedDaysAgo],
          )
          .then(() => id);
      };
      const ownOld = await insert(owner.tenantId, 60);
      const ownRecent = await insert(owner.tenantId, 1);
      const neighbourOld = await insert(neighbour.tenantId, 60);

      const { id } = await submitOk(test, owner.user, 'cleanup', { target: 'job-records', olderThanDays: 30 });
      const job = await waitForJobToFinish(test, owner.user, id);
      expect(job).toMatchObject({ status: 'completed', result: { removed: { 'job-records': 1 } } });

      const left = await db.query(`SELECT id FROM jobs WHERE id = ANY($1::uuid[])`, [[ownOld, ownRecent, neighbourOld]]);
      expect(left.map((row: { id: string }) => row.id).sort()).toEqual([ownRecent, neighbourOld].sort());
    });
  });

  describe('failures', () => {
    it('a declined payment fails for good after exactly one attempt', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', {
        ...VALID_PAYLOADS['payment-process'],
        paymentMethodId: 'pm_card_chargeDeclined',
      });
      const job = await waitForJobToFinish(test, tenant.user, id);
      expect(job).toMatchObject({ status: 'failed', attempts: 1, result: null });
      expect(job.error).toEqual({ type: 'card_declined', message: expect.stringMatching(/declined/i), permanent: true });
      expect(job.finishedAt).not.toBeNull();

      // Bull has failed it too: no retry is waiting in the delayed set.
      expect(await settledBullJob(test, 'money', id)).toEqual({ state: 'failed', attemptsMade: 1 });
    });
  });

  describe('validation (400)', () => {
    const payment = VALID_PAYLOADS['payment-process'];
    const mint = VALID_PAYLOADS['nft-mint'] as { metadata: object };

    it.each<[string, object, string[]]>([
      ['an unknown type', { type: 'teleport', data: {} }, ['type']],
      ['no type', { data: payment }, ['type']],
      ['no data', { type: 'payment-process' }, ['data']],
      ['data that is no object', { type: 'payment-process', data: 'ord_1' }, ['data']],
      ['an unknown top-level property', { type: 'payment-process', data: payment, priority: 'high' }, ['priority']],
      ['a missing amount and a bad currency', { type: 'payment-process', data: { ...payment, amount: undefined, currency: 'usdx' } }, ['data.amount', 'data.currency']],
      ['an extra property in data', { type: 'payment-process', data: { ...payment, x: 1 } }, ['data.x']],
      ['an amount over 100000000', { type: 'payment-process', data: { ...payment, amount: 100_000_001 } }, ['data.amount']],
      ['a non-integer amount', { type: 'payment-process', data: { ...payment, amount: 25.5 } }, ['data.amount']],
      ['an amount as a string', { type: 'payment-process', data: { ...payment, amount: '2500' } }, ['data.amount']],
      ['a zero amount', { type: 'payment-process', data: { ...payment, amount: 0 } }, ['data.amount']],
      ['too long an nft name', { type: 'nft-mint', data: { ...mint, metadata: { ...mint.metadata, name: 'n'.repeat(33) } } }, ['data.metadata.name']],
      ['an extra nft metadata property', { type: 'nft-mint', data: { ...mint, metadata: { ...mint.metadata, extra: 1 } } }, ['data.metadata.extra']],
      ['a wallet that is not base58', { type: 'nft-mint', data: { ...mint, recipientWallet: '0OIl-not-a-wallet' } }, ['data.recipientWallet']],
      ['a base58 wallet of the wrong length', { type: 'nft-transfer', data: { ...VALID_PAYLOADS['nft-transfer'], toWallet: bs58.encode(Buffer.alloc(31, 9)) } }, ['data.toWallet']],
      ['a phone number that is not E.164', { type: 'sms-send', data: { to: '415-555-0123', body: 'hi' } }, ['data.to']],
      ['a bad e-mail address', { type: 'email-send', data: { ...VALID_PAYLOADS['email-send'], to: 'not-an-email' } }, ['data.to']],
      ['an unknown refund reason', { type: 'refund-process', data: { ...VALID_PAYLOADS['refund-process'], reason: 'changed_mind' } }, ['data.reason']],
      ['a bad priority', { type: 'payment-process', data: payment, options: { priority: 'urgent' } }, ['options.priority']],
      ['a negative delay', { type: 'payment-process', data: payment, options: { delay: -1 } }, ['options.delay']],
      ['a fractional delay', { type: 'payment-process', data: payment, options: { delay: 1.5 } }, ['options.delay']],
      ['zero attempts', { type: 'payment-process', data: payment, options: { attempts: 0 } }, ['options.attempts']],
      ['21 attempts', { type: 'payment-process', data: payment, options: { attempts: 21 } }, ['options.attempts']],
      ['an idempotency key with a space', { type: 'payment-process', data: payment, options: { idempotencyKey: 'a b' } }, ['options.idempotencyKey']],
      ['an unknown option', { type: 'payment-process', data: payment, options: { retries: 3 } }, ['options.retries']],
    ])('rejects %s, naming each bad field', async (_case, body, fields) => {
      const tenant = newTenant();
      const response = await submit(test, tenant.user, body);
      expectErrorBody(response, 400, 'Bad Request');
      expect(response.body.message).toBe('Validation failed');
      expect(fieldsOf(response)).toEqual([...fields].sort());
      for (const detail of response.body.details) expect(detail.message).toEqual(expect.any(String));
      // Nothing was enqueued or recorded.
      expect(await tenantJobCount(test, tenant.user, QUEUE_OF[(body as { type: JobType }).type] ?? 'money')).toBe(0);
    });

    it('answers a malformed JSON body with a 400 that carries a request id', async () => {
      const tenant = newTenant();
      const response = await test.http()
        .post('/jobs')
        .set(auth(tenant.user))
        .set('Content-Type', 'application/json')
        .send('{"type": "payment-process", "data": {');
      expectErrorBody(response, 400, 'Bad Request');
    });
  });

  describe('GET /jobs/:id', () => {
    it('answers 400 for an id that is no UUID', async () => {
      const response = await getJob(test, newTenant().user, 'not-a-uuid');
      expectErrorBody(response, 400, 'Bad Request');
    });

    it('answers 404 for an id nobody has', async () => {
      const id = randomUUID();
      const response = await getJob(test, newTenant().user, id);
      expectErrorBody(response, 404, 'Not Found');
      expect(response.body.message).toContain(id);
    });

    it.each<[string, JobType]>([
      ['a persisted (money) job', 'payment-process'],
      ['a Redis-only (background) job', 'analytics-process'],
    ])('answers 404 for another tenant’s %s, exactly as for a missing id', async (_case, type) => {
      const [owner, other] = [newTenant(), newTenant()];
      const { id } = await submitOk(test, owner.user, type);
      await waitForJobToFinish(test, owner.user, id);

      const missingId = randomUUID();
      const missing = await getJob(test, other.admin, missingId);
      for (const token of [other.user, other.venueAdmin, other.admin]) {
        const foreign = await getJob(test, token, id);
        expectErrorBody(foreign, 404, 'Not Found');
        expect({ ...foreign.body, message: foreign.body.message.replace(id, ':id'), requestId: '' }).toEqual({
          ...missing.body,
          message: missing.body.message.replace(missingId, ':id'),
          requestId: '',
        });
      }
      // Nor can the other tenant retry or cancel it.
      expectErrorBody(await test.http().post(`/jobs/${id}/retry`).set(auth(other.admin)), 404, 'Not Found');
      expectErrorBody(await test.http().delete(`/jobs/${id}`).set(auth(other.admin)), 404, 'Not Found');
      // The owner still sees it.
      await getJob(test, owner.user, id).expect(200);
    });
  });

  describe('POST /jobs/:id/retry', () => {
    it('answers 409 for a completed job', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'sms-send');
      await waitForJobToFinish(test, tenant.user, id);
      const response = await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.venueAdmin));
      expectErrorBody(response, 409, 'Conflict');
    });

    it('answers 403 for a user, even for a failed job', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], paymentMethodId: 'pm_card_chargeDeclined' });
      await waitForJobToFinish(test, tenant.user, id);
      const response = await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.user));
      expectErrorBody(response, 403, 'Forbidden');
      expect((await getJob(test, tenant.user, id)).body.status).toBe('failed');
    });

    it('re-queues a failed job under its id and runs it again from its first attempt', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], paymentMethodId: 'pm_card_chargeDeclined' });
      const first = await waitForJobToFinish(test, tenant.user, id);
      expect(first).toMatchObject({ status: 'failed', attempts: 1 });
      // The record is final a moment before Bull lets go of the job; until then a retry answers 409.
      await settledBullJob(test, 'money', id);

      const retry = await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.venueAdmin)).expect(202);
      expect(retry.body).toEqual({ id, queue: 'money', type: 'payment-process', status: 'waiting' });

      const second = await waitForJobToFinish(test, tenant.user, id);
      expect(second).toMatchObject({ id, status: 'failed', attempts: 1, error: { type: 'card_declined', permanent: true } });
      expect(Date.parse(String(second.startedAt))).toBeGreaterThan(Date.parse(String(first.startedAt)));
      expect(Date.parse(String(second.finishedAt))).toBeGreaterThan(Date.parse(String(first.finishedAt)));

      const [row] = await test.app.get(DataSource).query(`SELECT status, attempts, started_at, finished_at FROM jobs WHERE id = $1`, [id]);
      expect(row).toMatchObject({ status: 'failed', attempts: 1 });
      expect(row.finished_at.getTime()).toBe(Date.parse(String(second.finishedAt)));
    });

    it('answers 409 for a job that is still waiting', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      expectErrorBody(await test.http().post(`/jobs/${id}/retry`).set(auth(tenant.admin)), 409, 'Conflict');
      await test.http().delete(`/jobs/${id}`).set(auth(tenant.admin)).expect(200);
    });
  });

  describe('DELETE /jobs/:id', () => {
    it('cancels a delayed job; GET then shows it cancelled', async () => {
      const tenant = newTenant();
      const submitted = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      expect(submitted.status).toBe('delayed');
      expect((await getJob(test, tenant.user, submitted.id)).body.status).toBe('delayed');

      const response = await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.venueAdmin)).expect(200);
      expect(response.body).toMatchObject({ id: submitted.id, queue: 'money', type: 'payment-process', status: 'cancelled' });

      const job = (await getJob(test, tenant.user, submitted.id).expect(200)).body;
      expect(job).toMatchObject({ status: 'cancelled', result: null });
      expect(job.finishedAt).not.toBeNull();
      // It is gone from Redis: it will never run.
      expect(await test.app.get(QueueRegistry).get('money').getJob(submitted.id)).toBeNull();
      // Cancelling again is a conflict.
      expectErrorBody(await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.venueAdmin)), 409, 'Conflict');
    });

    it('cancels a delayed Redis-only job', async () => {
      const tenant = newTenant();
      const submitted = await submitOk(test, tenant.user, 'analytics-process', undefined, { delay: 60_000 });
      expect(submitted.status).toBe('delayed');
      const response = await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.admin)).expect(200);
      expect(response.body).toMatchObject({ id: submitted.id, queue: 'background', status: 'cancelled' });
      expect(await test.app.get(QueueRegistry).get('background').getJob(submitted.id)).toBeNull();
    });

    it('cancels a job waiting in a paused queue', async () => {
      const tenant = newTenant();
      await test.http().post('/queues/communication/pause').set(auth(tenant.admin)).expect(200);
      try {
        const submitted = await submitOk(test, tenant.user, 'email-send');
        expect((await getJob(test, tenant.user, submitted.id)).body.status).toBe('waiting');

        const response = await test.http().delete(`/jobs/${submitted.id}`).set(auth(tenant.venueAdmin)).expect(200);
        expect(response.body).toMatchObject({ id: submitted.id, queue: 'communication', type: 'email-send', status: 'cancelled' });
        expect((await getJob(test, tenant.user, submitted.id)).body.status).toBe('cancelled');
        expect(await test.app.get(QueueRegistry).get('communication').getJob(submitted.id)).toBeNull();
      } finally {
        await test.http().post('/queues/communication/resume').set(auth(tenant.admin)).expect(200);
      }
    });

    it('answers 409 for a completed job', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'refund-process');
      await waitForJobToFinish(test, tenant.user, id);
      expectErrorBody(await test.http().delete(`/jobs/${id}`).set(auth(tenant.admin)), 409, 'Conflict');
      expect((await getJob(test, tenant.user, id)).body.status).toBe('completed');
    });

    it('answers 403 for a user', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', undefined, { delay: 60_000 });
      expectErrorBody(await test.http().delete(`/jobs/${id}`).set(auth(tenant.user)), 403, 'Forbidden');
      expect((await getJob(test, tenant.user, id)).body.status).toBe('delayed');
      await test.http().delete(`/jobs/${id}`).set(auth(tenant.admin)).expect(200);
    });

    it('answers 400 for an id that is no UUID', async () => {
      expectErrorBody(await test.http().delete('/jobs/123').set(auth(newTenant().admin)), 400, 'Bad Request');
    });
  });

  describe('POST /jobs/batch', () => {
    const batch = (test: TestApp, token: string, jobs: unknown) => test.http().post('/jobs/batch').set(auth(token)).send({ jobs });

    it('creates every job, answers them in order, and runs them all', async () => {
      const tenant = newTenant();
      const items = [
        { type: 'payment-process', data: VALID_PAYLOADS['payment-process'] },
        { type: 'email-send', data: VALID_PAYLOADS['email-send'] },
        { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] },
        { type: 'nft-mint', data: VALID_PAYLOADS['nft-mint'], options: { priority: 'high' } },
        { type: 'sms-send', data: VALID_PAYLOADS['sms-send'], options: { delay: 0, attempts: 2 } },
      ];
      const response = await batch(test, tenant.admin, items).expect(201);
      expect(response.body).toEqual({
        jobs: items.map((item) => ({
          id: expect.stringMatching(UUID),
          queue: QUEUE_OF[item.type as JobType],
          type: item.type,
          status: 'waiting',
        })),
      });
      const ids = response.body.jobs.map((job: { id: string }) => job.id);
      expect(new Set(ids).size).toBe(items.length);
      const finished = await Promise.all(ids.map((id: string) => waitForJobToFinish(test, tenant.user, id)));
      expect(finished.map((job) => job.status)).toEqual(items.map(() => 'completed'));
      expect(finished.map((job) => job.type)).toEqual(items.map((item) => item.type));
    });

    it('is open to venue admins and closed to users', async () => {
      const tenant = newTenant();
      const items = [{ type: 'scheduled-task', data: VALID_PAYLOADS['scheduled-task'] }];
      await batch(test, tenant.venueAdmin, items).expect(201);
      expectErrorBody(await batch(test, tenant.user, items), 403, 'Forbidden');
    });

    it('rejects the whole batch for one bad item, naming each by index and field, and creates nothing', async () => {
      const tenant = newTenant();
      const items = [
        { type: 'payment-process', data: VALID_PAYLOADS['payment-process'] },
        { type: 'email-send', data: VALID_PAYLOADS['email-send'] },
        { type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], amount: -5 } },
        { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] },
        { type: 'nft-mint', data: { ...VALID_PAYLOADS['nft-mint'], recipientWallet: 'nope' } },
      ];
      const response = await batch(test, tenant.admin, items);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs.2.data.amount', 'jobs.4.data.recipientWallet']);
      for (const queue of ['money', 'communication', 'background']) {
        expect(await tenantJobCount(test, tenant.user, queue)).toBe(0);
      }
    });

    it('names an unknown type by its index', async () => {
      const tenant = newTenant();
      const response = await batch(test, tenant.admin, [
        { type: 'payment-process', data: VALID_PAYLOADS['payment-process'] },
        { type: 'teleport', data: {} },
      ]);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs.1.type']);
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(0);
    });

    it.each<[string, unknown]>([
      ['an empty batch', []],
      ['more than 1000 items', Array.from({ length: 1001 }, () => ({ type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }))],
      ['jobs that is no list', { type: 'analytics-process', data: VALID_PAYLOADS['analytics-process'] }],
    ])('rejects %s', async (_case, jobs) => {
      const tenant = newTenant();
      const response = await batch(test, tenant.admin, jobs);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs']);
      expect(await tenantJobCount(test, tenant.user, 'background')).toBe(0);
    });

    it('accepts exactly 1000 items', async () => {
      const tenant = newTenant();
      const jobs = Array.from({ length: 1000 }, () => ({ type: 'scheduled-task', data: VALID_PAYLOADS['scheduled-task'], options: { delay: 60_000 } }));
      const response = await batch(test, tenant.admin, jobs).expect(201);
      expect(response.body.jobs).toHaveLength(1000);
      expect(new Set(response.body.jobs.map((job: { id: string }) => job.id)).size).toBe(1000);
      // They would only clutter the queue: cleared again by an admin.
      await test.http().post('/queues/background/clear').set(auth(tenant.admin)).expect(200);
    });

    it('accepts 1000 payment jobs of ordinary size (the body limit fits the batch limit)', async () => {
      const tenant = newTenant();
      const jobs = Array.from({ length: 1000 }, (_, index) => ({
        type: 'payment-process',
        data: { ...VALID_PAYLOADS['payment-process'], orderId: `ord_${index}`, customerEmail: 'fan@example.com' },
        options: { delay: 60_000, idempotencyKey: `ord_${index}-pay` },
      }));
      const response = await batch(test, tenant.admin, jobs);
      expect(response.status).toBe(201);
      expect(response.body.jobs).toHaveLength(1000);
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(1000);
      await test.http().post('/queues/money/clear').set(auth(tenant.admin)).expect(200);
    });

    it('rejects an idempotency key used twice within the batch, and creates nothing', async () => {
      const tenant = newTenant();
      const payment = VALID_PAYLOADS['payment-process'];
      const response = await batch(test, tenant.admin, [
        { type: 'payment-process', data: payment, options: { idempotencyKey: 'ord-1-pay' } },
        { type: 'payment-process', data: { ...payment, orderId: 'ord_2' }, options: { idempotencyKey: 'ord-2-pay' } },
        { type: 'payment-process', data: { ...payment, orderId: 'ord_3' }, options: { idempotencyKey: 'ord-1-pay' } },
      ]);
      expectErrorBody(response, 400, 'Bad Request');
      expect(fieldsOf(response)).toEqual(['jobs.2.options.idempotencyKey']);
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(0);
    });
  });

  describe('idempotency keys', () => {
    it('the same key twice from one tenant answers 200 with the first job', async () => {
      const tenant = newTenant();
      const body = { type: 'payment-process', data: VALID_PAYLOADS['payment-process'], options: { idempotencyKey: 'ord_1-pay' } };
      const first = await submit(test, tenant.user, body).expect(201);
      const second = await submit(test, tenant.user, body).expect(200);
      expect(second.body).toMatchObject({ id: first.body.id, queue: 'money', type: 'payment-process' });
      await waitForJobToFinish(test, tenant.user, first.body.id);
      const third = await submit(test, tenant.user, body).expect(200);
      expect(third.body).toEqual({ id: first.body.id, queue: 'money', type: 'payment-process', status: 'completed' });
      expect(await tenantJobCount(test, tenant.user, 'money')).toBe(1);
    });

    it('the same key from another tenant makes a new job', async () => {
      const [first, second] = [newTenant(), newTenant()];
      const body = { type: 'payment-process', data: VALID_PAYLOADS['payment-process'], options: { idempotencyKey: `shared-${randomUUID()}` } };
      const a = await submit(test, first.user, body).expect(201);
      const b = await submit(test, second.user, body).expect(201);
      expect(b.body.id).not.toBe(a.body.id);
      await Promise.all([waitForJobToFinish(test, first.user, a.body.id), waitForJobToFinish(test, second.user, b.body.id)]);
      expect(await tenantJobCount(test, first.user, 'money')).toBe(1);
      expect(await tenantJobCount(test, second.user, 'money')).toBe(1);
    });
  });
});

describe('Jobs that are running (Stripe held at the network edge)', () => {
  let test: TestApp;
  const stripe = new HeldPaymentGateway();

  beforeAll(async () => {
    test = await startTestApp({ gateways: [{ provide: PaymentGateway, useValue: stripe }] });
  });
  afterAll(async () => {
    stripe.releaseAll();
    await test.close();
  });

  it('DELETE flags an active job; its attempt then fails transiently and it ends cancelled, not retried', async () => {
    const tenant = newTenant();
    const orderId = `ord_held_${randomUUID().slice(0, 8)}`;
    stripe.hold(orderId);
    const { id } = await submitOk(test, tenant.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], orderId }, { attempts: 3 });
    await stripe.entered(orderId);
    expect((await getJob(test, tenant.user, id)).body.status).toBe('active');

    const response = await test.http().delete(`/jobs/${id}`).set(auth(tenant.venueAdmin)).expect(200);
    expect(response.body).toEqual({ id, queue: 'money', type: 'payment-process', status: 'active', cancelRequested: true });
    expect((await getJob(test, tenant.user, id)).body).toMatchObject({ status: 'active', cancelRequested: true });

    stripe.release(orderId, 'time-out');
    const job = await waitForJobToFinish(test, tenant.user, id);
    expect(job).toMatchObject({ status: 'cancelled', attempts: 1 });

    expect(await settledBullJob(test, 'money', id)).toEqual({ state: 'failed', attemptsMade: 1 });
    expect(stripe.callsFor(orderId)).toBe(1);
  });

  it('without a cancellation, the same transient failure is retried', async () => {
    // The control for the test above: attempts 2, so the retry comes after one backoff.
    const tenant = newTenant();
    const orderId = `ord_held_${randomUUID().slice(0, 8)}`;
    stripe.hold(orderId);
    const { id } = await submitOk(test, tenant.user, 'payment-process', { ...VALID_PAYLOADS['payment-process'], orderId }, { attempts: 2 });
    await stripe.entered(orderId);
    stripe.release(orderId, 'time-out');
    const job = await waitForJobToFinish(test, tenant.user, id, 20_000);
    expect(job).toMatchObject({ status: 'failed', attempts: 2, error: { type: 'provider_timeout', permanent: false } });
    expect(stripe.callsFor(orderId)).toBe(2);
  }, 30_000);
});
