import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { VALID_PAYLOADS } from '../support/payloads';
import { ScratchRedis, startScratchRedis } from '../support/scratch-redis';
import { StripeFake } from '../support/stripe-fake/stripe-fake';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * How long a submission may take while Redis is down. A request touches Redis through
 * connections that give up after one failed reconnect, at most a second apart
 * (src/database/redis-connection.ts): about 2 s per command, and a refused submission meets
 * at most two in turn (the throttler, or the add). 5 s leaves room for a loaded machine;
 * before that bound existed a submission waited out Bull's 20 reconnects (minutes).
 */
const ANSWER_BOUND_MS = 5_000;
const SUBMITTERS = 4;

/**
 * Redis dies (SIGKILL) mid-load, with payments running in the gateway and more waiting behind
 * them, while clients keep submitting; it comes back empty on the same port. Every submission
 * is answered 201 or 503 within the bound; a refused one leaves no record and is never
 * charged; an accepted one completes with exactly one charge, recovery putting back what
 * Redis lost.
 */
// Recovery with a short grace re-adds every pending record of its database: this file has its own.
const database = privateDatabaseForThisFile();

describe('Redis connection lost and back mid-load', () => {
  let stripe: StripeFake;
  /** Calls to create an intent that reached Stripe, per order. */
  const called = () => countBy(stripe.requestsOf('payment_intents.create').map((request) => request.orderId ?? ''));
  /** Intents Stripe created (first calls under a key, not replays), per order. */
  const charged = () => countBy(stripe.effects('intent_created').map((effect) => effect.orderId ?? ''));
  let redis: ScratchRedis;
  let test: TestApp;

  beforeAll(async () => {
    redis = await startScratchRedis();
    stripe = await StripeFake.start();
    // Every payment waits at Stripe's edge until the test lets them all through.
    stripe.hold('*', { operation: 'payment_intents.create' });
    test = await startTestApp({
      env: {
        // Held payments wait for seconds: far from the SDK's timeout.
        ...stripe.env({ STRIPE_TIMEOUT_MS: '60000' }),
        ...database.env(),
        REDIS_URL: redis.url,
        RECOVERY_INTERVAL_MS: '300',
        RECOVERY_GRACE_MS: '300',
        QUEUE_LOCK_DURATION_MS: '1000',
        QUEUE_STALLED_INTERVAL_MS: '500',
      },
    });
  });
  afterAll(async () => {
    stripe?.releaseAll();
    await test?.close().catch(() => undefined);
    await stripe?.close();
    await redis?.stop();
  });

  it('answers 201 or 503 promptly, keeps no record of a refused job, and charges and completes every accepted one once', async () => {
    const tenant = newTenant();
    const run = randomUUID().slice(0, 8);
    const accepted = new Map<string, string>();
    const refused = new Map<string, Response>();
    const unexpected: string[] = [];
    let next = 0;
    let loading = true;

    const submitOne = async () => {
      const orderId = `ord_${run}_${next++}`;
      try {
        const response = await test
          .http()
          .post('/jobs')
          .timeout(ANSWER_BOUND_MS)
          .set('Authorization', `Bearer ${tenant.user}`)
          .send({ type: 'payment-process', data: { ...VALID_PAYLOADS['payment-process'], orderId } });
        if (response.status === 201) accepted.set(orderId, response.body.id);
        else if (response.status === 503) refused.set(orderId, response);
        else unexpected.push(`${orderId}: ${response.status} ${JSON.stringify(response.body)}`);
      } catch (error) {
        const timedOut = (error as { timeout?: unknown }).timeout !== undefined;
        unexpected.push(`${orderId}: ${timedOut ? `no answer within ${ANSWER_BOUND_MS} ms` : String(error)}`);
      }
    };
    const load = Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (loading) await submitOne();
      }),
    );

    try {
      // Payments held inside the gateway (active) and more accepted behind them (waiting).
      await waitFor(async () => (called().size >= 5 && accepted.size >= 25 ? true : undefined), 20_000, 'active and waiting payments');
      await redis.kill();
      // The running payments charge while Redis is down; Bull cannot hear that they finished.
      stripe.release('*');
      await waitFor(async () => (refused.size >= 2 * SUBMITTERS ? true : undefined), 20_000, 'submissions refused while Redis is down');
      const acceptedBeforeRestart = accepted.size;
      await redis.restart();
      await waitFor(async () => (accepted.size >= acceptedBeforeRestart + 10 ? true : undefined), 20_000, 'accepted submissions after Redis is back');
    } finally {
      loading = false;
      await load;
    }

    expect(unexpected).toEqual([]);
    for (const response of refused.values()) expectErrorBody(response, 503, 'Service Unavailable');

    // Every accepted job finishes, read from its record (what GET /jobs/:id answers first);
    // polling each job over HTTP would meet the API rate limit.
    const records = async () => {
      const rows: { id: string; status: string }[] = await test.app
        .get(DataSource)
        .query(`SELECT id, status FROM jobs WHERE tenant_id = $1 AND type = 'payment-process'`, [tenant.tenantId]);
      return new Map(rows.map((row) => [row.id, row.status]));
    };
    const unfinished = async () => {
      const statuses = await records();
      return [...accepted.values()].filter((id) => !['completed', 'failed', 'cancelled'].includes(statuses.get(id) ?? ''));
    };
    await waitFor(async () => ((await unfinished()).length === 0 ? true : undefined), 30_000, 'every accepted job to finish').catch(() => undefined);
    const statuses = await records();
    expect([...accepted.values()].map((id) => [id, statuses.get(id)]).filter(([, status]) => status !== 'completed')).toEqual([]);
    const chargesOf = (orderIds: Iterable<string>) => [...orderIds].map((orderId) => [orderId, charged().get(orderId) ?? 0]);
    expect(chargesOf(accepted.keys())).toEqual([...accepted.keys()].map((orderId) => [orderId, 1]));
    expect(chargesOf(refused.keys())).toEqual([...refused.keys()].map((orderId) => [orderId, 0]));
    // At the provider: one idempotency key, one effect and one call per accepted job. No attempt
    // is repeated here (the payments running at the kill complete on PostgreSQL), so a second
    // call, even one Stripe would only replay, means a job ran twice.
    const creates = stripe.requestsOf('payment_intents.create');
    expect(new Set(creates.map((request) => request.idempotencyKey)).size).toBe(accepted.size);
    expect(stripe.effects('intent_created')).toHaveLength(accepted.size);
    expect(creates.length).toBe(accepted.size);

    // Nothing half-accepted: the only records are those of accepted jobs.
    expect([...statuses.keys()].sort()).toEqual([...accepted.values()].sort());
  }, 120_000);
});

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
