import bs58 from 'bs58';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isSolanaAddress } from '../../src/common/validation/validators';
import { clientJobTypes, ClientJobType as JobType } from '../../src/job-definitions/job-types';
import { QUEUE_OF, UUID } from '../support/expected-jobs';
import { submit, submitOk, submitterToken } from '../support/job-requests';
import { DECLINED_PAYMENT, OTHER_WALLET, paymentData, VALID_PAYLOADS, WALLET } from '../support/payloads';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { settledBullJob, waitForJobToFinish } from '../support/wait-for';

type Tenant = ReturnType<typeof newTenant>;

const PERSISTED: JobType[] = ['payment-process', 'refund-process', 'nft-mint', 'nft-transfer', 'email-send', 'sms-send'];
const JOB_VIEW_FIELDS = [
  'id', 'queue', 'type', 'status', 'attempts', 'progress', 'data', 'result', 'error', 'createdAt', 'startedAt', 'finishedAt',
];

describe('Jobs', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });
  afterAll(async () => {
    await test?.close();
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
        paymentIntentId: expect.stringMatching(/^pi_sandbox_[0-9a-f]{24}$/),
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

    /** A refund names a payment of its tenant: the sandbox pays one first (in this process, which remembers it). */
    async function dataFor(tenant: Tenant, type: JobType): Promise<Record<string, unknown>> {
      if (type !== 'refund-process') return VALID_PAYLOADS[type];
      const payment = await submitOk(test, tenant.user, 'payment-process');
      const paid = await waitForJobToFinish(test, tenant.user, payment.id);
      return { ...VALID_PAYLOADS[type], paymentIntentId: paid.result?.paymentIntentId };
    }

    it.each(clientJobTypes())('%s: 201 {id, queue, type, status}, then completed with its result', async (type) => {
      const tenant = newTenant();
      const data = await dataFor(tenant, type);
      const response = await submit(test, submitterToken(tenant, type), { type, data }).expect(201);
      expect(response.body).toEqual({ id: expect.stringMatching(UUID), queue: QUEUE_OF[type], type, status: 'waiting' });

      const job = await waitForJobToFinish(test, submitterToken(tenant, type), response.body.id);
      expect(Object.keys(job)).toEqual(expect.arrayContaining(JOB_VIEW_FIELDS));
      expect(job).toMatchObject({
        id: response.body.id,
        queue: QUEUE_OF[type],
        type,
        status: 'completed',
        attempts: 1,
        data,
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
        const { id } = await submitOk(test, tenant.admin, 'scheduled-task');
        const job = await waitForJobToFinish(test, tenant.admin, id);
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
      const { id } = await submitOk(test, tenant.user, 'payment-process', paymentData({ currency: 'EUR' }));
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

      const { id } = await submitOk(test, owner.venueAdmin, 'cleanup', { target: 'job-records', olderThanDays: 30 });
      const job = await waitForJobToFinish(test, owner.venueAdmin, id);
      expect(job).toMatchObject({ status: 'completed', result: { removed: { 'job-records': 1 } } });

      const left = await db.query(`SELECT id FROM jobs WHERE id = ANY($1::uuid[])`, [[ownOld, ownRecent, neighbourOld]]);
      expect(left.map((row: { id: string }) => row.id).sort()).toEqual([ownRecent, neighbourOld].sort());
    });
  });

  describe('failures', () => {
    it('a declined payment fails for good after exactly one attempt', async () => {
      const tenant = newTenant();
      const { id } = await submitOk(test, tenant.user, 'payment-process', DECLINED_PAYMENT);
      const job = await waitForJobToFinish(test, tenant.user, id);
      expect(job).toMatchObject({ status: 'failed', attempts: 1, result: null });
      expect(job.error).toEqual({ type: 'card_declined', message: expect.stringMatching(/declined/i), permanent: true });
      expect(job.finishedAt).not.toBeNull();

      // Bull has failed it too: no retry is waiting in the delayed set.
      expect(await settledBullJob(test, 'money', id)).toEqual({ state: 'failed', attemptsMade: 1 });
    });
  });
});
