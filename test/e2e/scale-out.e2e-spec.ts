import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { QUEUE_NAMES, QueueName } from '../../src/job-definitions/queue-names';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth } from '../support/job-requests';
import { paymentData } from '../support/payloads';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newRedisPrefix, newTenant, startTestApp, TestApp } from '../support/test-app';
import { TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, TwilioFake } from '../support/twilio-fake';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';
import { jobLogLines, occurrences } from '../support/worker-log';

/**
 * Scale-out: one API-only app and two worker processes (src/main.ts, APP_ROLE=worker) on one
 * Redis prefix and one database. 2,000 jobs over the three queues go in through POST /jobs/batch;
 * payments go to the Stripe fake and SMS to the Twilio fake through the real gateways, analytics
 * count in Redis. Which process ran each job is read from the workers' own job log lines.
 */

// Worker processes run recovery over every row of their database.
privateDatabaseForThisFile();

const PAYMENTS = 700;
const MESSAGES = 600;
const EVENTS = 700;
const BATCH = 1_000;
const DAY = '2026-03-01';
const CONCURRENCY = { money: 8, communication: 12, background: 5 } satisfies Record<QueueName, number>;

interface RecordRow {
  id: string;
  type: string;
  status: string;
  attempts: number;
  fence: number;
  parent_job_id: string | null;
}

describe('one API process and two worker processes', () => {
  let stripe: StripeFake;
  const twilio = new TwilioFake();
  const prefix = newRedisPrefix();
  let api: TestApp | undefined;
  const workers: WorkerProcess[] = [];

  const providerEnv = () => ({
    ...stripe.env(),
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM: TWILIO_NUMBER,
    TWILIO_API_BASE_URL: twilio.baseUrl,
  });

  beforeAll(async () => {
    [stripe] = await Promise.all([StripeFake.start(), twilio.start()]);
    api = await startTestApp({ redisPrefix: prefix, env: { APP_ROLE: 'api', ...providerEnv() } });
    // The providers' shared token buckets (Stripe 25/s, Twilio 10/s) would set the pace; this is about processes.
    // Workers read them at start.
    await api.app.get(DataSource).query(`UPDATE rate_limiters SET capacity = 5000, refill_per_second = 5000`);
    const queues = api.app.get(QueueRegistry);
    const everyQueueHasTwoWorkers = async () => {
      const counts = await Promise.all(QUEUE_NAMES.map(async (name) => (await queues.get(name).getWorkers()).length));
      return counts.every((count) => count >= 2);
    };
    const env = {
      REDIS_PREFIX: prefix,
      ...providerEnv(),
      WORKER_CONCURRENCY_MONEY: String(CONCURRENCY.money),
      WORKER_CONCURRENCY_COMMUNICATION: String(CONCURRENCY.communication),
      WORKER_CONCURRENCY_BACKGROUND: String(CONCURRENCY.background),
    };
    // Both must be taking jobs before any is submitted, or the first would drain the backlog alone.
    workers.push(...(await Promise.all([0, 1].map(() => startWorkerProcess(env, everyQueueHasTwoWorkers, 240_000)))));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await api?.close();
    await Promise.all([stripe?.close(), twilio.stop()]);
  });

  it('runs each of 2,000 jobs exactly once, in the worker processes only, spread over both', async () => {
    const test = api!;
    const queues = test.app.get(QueueRegistry);
    // The API process runs no processor: each queue's only Bull workers are the two processes'.
    for (const name of QUEUE_NAMES) expect(await queues.get(name).getWorkers()).toHaveLength(2);
    for (const worker of workers) {
      for (const name of QUEUE_NAMES) expect(worker.output()).toContain(`Worker attached to queue ${name} (concurrency ${CONCURRENCY[name]})`);
    }

    const tenant = newTenant();
    const items = [
      // With a receipt to send: a follow-up each, through the outbox relay.
      ...Array.from({ length: PAYMENTS }, (_, index) => ({
        type: 'payment-process', data: paymentData({ orderId: `ord_scale_${index}`, customerEmail: `fan${index}@example.com` }),
      })),
      ...Array.from({ length: MESSAGES }, (_, index) => ({ type: 'sms-send', data: { to: '+14155550123', body: `Ticket ${index} is ready` } })),
      ...Array.from({ length: EVENTS }, (_, index) => ({
        type: 'analytics-process',
        data: { event: `gate.scan.${index}`, occurredAt: `${DAY}T12:00:00.000Z` },
      })),
    ];
    // Interleaved, so every batch feeds all three queues at once.
    const shuffled = items.map((item, index) => ({ item, order: (index * 7919) % items.length })).sort((a, b) => a.order - b.order).map(({ item }) => item);
    const submitted: { id: string; type: string }[] = [];
    for (let start = 0; start < shuffled.length; start += BATCH) {
      const { body } = await test.http().post('/jobs/batch').set(auth(tenant.admin)).send({ jobs: shuffled.slice(start, start + BATCH) }).expect(201);
      submitted.push(...body.jobs);
    }
    expect(submitted).toHaveLength(PAYMENTS + MESSAGES + EVENTS);

    const dataSource = test.app.get(DataSource);
    const records = () =>
      dataSource.query<RecordRow[]>(
        `SELECT id, type, status, attempts, fence::int AS fence, parent_job_id FROM jobs WHERE tenant_id = $1`,
        [tenant.tenantId],
      );
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const analytics = () => redis.hgetall(`${prefix}:analytics:${tenant.tenantId}:${DAY}`);
    try {
      // Every payment completes with a receipt (`email-send`) follow-up of its own.
      const persisted = PAYMENTS + MESSAGES + PAYMENTS;
      let seen: RecordRow[] = [];
      const finished = await waitFor(
        async () => {
          seen = await records();
          return seen.length === persisted && seen.every((row) => row.status === 'completed') ? seen : undefined;
        },
        // Generous: on an idle 2-core machine this takes well under a minute; a loaded one is far slower.
        300_000,
        `${persisted} completed records`,
      ).catch((error: Error) => {
        const statuses = Object.fromEntries(occurrences(seen.map((row) => `${row.type}:${row.status}`)));
        throw new Error(`${error.message}; records by type and status: ${JSON.stringify(statuses)}`);
      });
      const counted = await waitFor(async () => {
        const counts = await analytics();
        return Object.keys(counts).length === EVENTS ? counts : undefined;
      }, 30_000, `${EVENTS} analytics events`);

      // Each record was claimed once and completed on its first attempt.
      expect(finished.filter((row) => row.attempts !== 1 || row.fence !== 1)).toEqual([]);
      expect(finished.filter((row) => row.type === 'email-send' && row.parent_job_id === null)).toEqual([]);
      // One effect per job at the providers: one intent created and confirmed per order, one SMS per message.
      for (const kind of ['intent_created', 'intent_confirmed'] as const) {
        const perOrder = occurrences(stripe.effects(kind).map((effect) => effect.orderId));
        expect(perOrder.size).toBe(PAYMENTS);
        expect([...perOrder.values()].filter((count) => count !== 1)).toEqual([]);
      }
      const perBody = occurrences(twilio.sent.map((message) => message.body));
      expect(perBody.size).toBe(MESSAGES);
      expect([...perBody.values()].filter((count) => count !== 1)).toEqual([]);
      expect(Object.values(counted).filter((count) => count !== '1')).toEqual([]);

      // Every job, follow-ups included, started and completed once, in one of the two workers.
      const allIds = [...submitted.map((job) => job.id), ...finished.filter((row) => row.type === 'email-send').map((row) => row.id)];
      const completedBy = await waitFor(async () => {
        const lines = workers.map((worker) => jobLogLines(worker.output(), 'Job completed'));
        return lines.flat().length >= allIds.length ? lines : undefined;
      }, 10_000, 'every completion in the workers’ logs');
      for (const msg of ['Job started', 'Job completed']) {
        const lines = workers.flatMap((worker) => jobLogLines(worker.output(), msg));
        const perJob = occurrences(lines.map((line) => line.jobId));
        expect(allIds.filter((id) => perJob.get(id) !== 1)).toEqual([]);
        expect(lines.filter((line) => line.attempt !== 1)).toEqual([]);
        expect(perJob.size).toBe(allIds.length);
      }

      // Spread: each worker ran a fair share of every queue (an even split is half).
      const share = completedBy.map((lines) => occurrences(lines.map((line) => line.queue)));
      const totals = occurrences(completedBy.flat().map((line) => line.queue));
      for (const name of QUEUE_NAMES) {
        for (const counts of share) expect((counts.get(name) ?? 0) / totals.get(name)!).toBeGreaterThan(0.15);
      }
    } finally {
      redis.disconnect();
    }
  }, 420_000);
});
