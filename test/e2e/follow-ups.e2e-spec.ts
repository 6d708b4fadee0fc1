import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { advisoryLockKey } from '../../src/database/advisory-lock';
import { OutboxRelay } from '../../src/jobs/outbox-relay';
import { appsClosedAfterEach } from '../support/app-lifecycle';
import { paymentJob } from '../support/payloads';
import { SmtpSink } from '../support/smtp-sink';
import { crashWorkers, newRedisPrefix, newTenant, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';
import { StripeFake } from '../support/stripe-fake/stripe-fake';

const paymentWithReceipt = (orderId: string, email: string) => paymentJob({ orderId, customerEmail: email });

/** Holds the relay's advisory lock from a connection of the test's own: no relay pass can run. */
async function holdRelay(): Promise<{ release: () => Promise<void> }> {
  const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [advisoryLockKey('outbox-relay')]);
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

describe('Follow-up jobs through the transactional outbox', () => {
  const startApp = appsClosedAfterEach();
  // The confirmation e-mails go out for real, over SMTP to a sink on loopback; payments to a Stripe fake.
  const sink = new SmtpSink();
  let stripe: StripeFake;
  beforeAll(async () => {
    await sink.start();
    stripe = await StripeFake.start();
  });
  afterAll(async () => {
    await sink.stop();
    await stripe?.close();
  });
  const start = (options: Parameters<typeof startApp>[0] = {}) =>
    startApp({ ...options, env: { ...stripe.env(), SMTP_URL: sink.url, MAIL_FROM: 'Tickets <tickets@venue.example>', ...options.env } });

  // The confirmation e-mails; a payment's payment.completed webhook event is webhooks-delivery's concern.
  const followUpsOf = (app: TestApp, parentId: string) =>
    app.app.get(DataSource).query(
      `SELECT id, type, status, origin, parent_job_id FROM jobs WHERE parent_job_id = $1 AND type = 'email-send'`, [parentId]);

  it('a completed payment enqueues its confirmation e-mail as a job of its own, once', async () => {
    const app = await start();
    const tenant = newTenant();
    const { body } = await app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
      .send(paymentWithReceipt('ord_receipt', 'buyer@example.com')).expect(201);
    expect(await waitForJobToFinish(app, tenant.user, body.id)).toMatchObject({ status: 'completed' });

    const [followUp] = await waitFor(async () => {
      const rows = await followUpsOf(app, body.id);
      return rows.length && rows[0].status === 'completed' ? rows : undefined;
    });
    expect(followUp).toMatchObject({ type: 'email-send', origin: 'follow-up', parent_job_id: body.id });
    expect(sink.to('buyer@example.com')).toHaveLength(1);
    expect(sink.to('buyer@example.com')[0].parsed.text).toContain('ord_receipt');
    // A follow-up is the service's job, not the user's: its venue's admin sees it, the paying user does not.
    await app.http().get(`/jobs/${followUp.id}`).set('Authorization', `Bearer ${tenant.user}`).expect(404);
    const view = await app.http().get(`/jobs/${followUp.id}`).set('Authorization', `Bearer ${tenant.venueAdmin}`).expect(200);
    expect(view.body).toMatchObject({ type: 'email-send', status: 'completed', origin: 'follow-up', parentJobId: body.id });
    expect(await app.app.get(DataSource).query(`SELECT * FROM job_outbox WHERE job_id = $1`, [followUp.id])).toEqual([]);
  });

  it('a worker that dies between the completion commit and the relay loses no follow-up, and a restart makes exactly one', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const relay = await holdRelay();
    let released = false;
    try {
      const dying = await start({ redisPrefix: prefix });
      const { body } = await dying.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
        .send(paymentWithReceipt('ord_crash_relay', 'crash@example.com')).expect(201);
      expect(await waitForJobToFinish(dying, tenant.user, body.id)).toMatchObject({ status: 'completed' });

      // Committed with the payment: the e-mail's record and its outbox entry; Redis has nothing yet.
      const db = dying.app.get(DataSource);
      const [followUp] = await followUpsOf(dying, body.id);
      expect(followUp).toMatchObject({ type: 'email-send', status: 'waiting' });
      expect(await db.query(`SELECT job_id FROM job_outbox WHERE job_id = $1`, [followUp.id])).toHaveLength(1);
      const { QueueRegistry } = await import('../../src/queue-store/queue-registry');
      expect(await dying.app.get(QueueRegistry).get('communication').getJob(followUp.id)).toBeNull();

      await crashWorkers(dying);
      await dying.close();
      await relay.release();
      released = true;

      const restarted = await start({ redisPrefix: prefix, env: { OUTBOX_RELAY_INTERVAL_MS: '200' } });
      expect(await waitForJobToFinish(restarted, tenant.venueAdmin, followUp.id, 20_000)).toMatchObject({ status: 'completed' });
      expect(await followUpsOf(restarted, body.id)).toHaveLength(1);
      expect(sink.to('crash@example.com')).toHaveLength(1);
      expect(await restarted.app.get(DataSource).query(`SELECT job_id FROM job_outbox WHERE job_id = $1`, [followUp.id])).toEqual([]);
    } finally {
      if (!released) await relay.release();
    }
  });

  it('a relay pass whose add to Redis fails keeps its entries in the outbox, and a later pass relays them once', async () => {
    const prefix = newRedisPrefix();
    const tenant = newTenant();
    const relay = await holdRelay();
    let released = false;
    try {
      const failing = await start({ redisPrefix: prefix });
      const { body } = await failing.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
        .send(paymentWithReceipt('ord_relay_fails', 'relay-fails@example.com')).expect(201);
      await waitForJobToFinish(failing, tenant.user, body.id);
      const [followUp] = await followUpsOf(failing, body.id);
      const db = failing.app.get(DataSource);
      expect(await db.query(`SELECT job_id FROM job_outbox WHERE job_id = $1`, [followUp.id])).toHaveLength(1);

      // The e-mail's queue can no longer reach Redis: the pass takes the entry, its add fails.
      const { QueueRegistry } = await import('../../src/queue-store/queue-registry');
      await failing.app.get(QueueRegistry).get('communication').close(true);
      await relay.release();
      released = true;
      await expect(failing.app.get(OutboxRelay).drain()).rejects.toThrow();
      expect(await db.query(`SELECT job_id FROM job_outbox WHERE job_id = $1`, [followUp.id])).toHaveLength(1);
      await crashWorkers(failing);
      await failing.close();

      const later = await start({ redisPrefix: prefix, env: { OUTBOX_RELAY_INTERVAL_MS: '200' } });
      expect(await waitForJobToFinish(later, tenant.venueAdmin, followUp.id, 20_000)).toMatchObject({ status: 'completed' });
      expect(sink.to('relay-fails@example.com')).toHaveLength(1);
      expect(await later.app.get(DataSource).query(`SELECT job_id FROM job_outbox WHERE job_id = $1`, [followUp.id])).toEqual([]);
    } finally {
      if (!released) await relay.release();
    }
  });

  it('relaying an entry again (a crash after the add, before its delete) makes no second job or e-mail', async () => {
    const app = await start();
    const tenant = newTenant();
    const relay = await holdRelay();
    let entry: Record<string, unknown>;
    let followUpId: string;
    try {
      const { body } = await app.http().post('/jobs').set('Authorization', `Bearer ${tenant.user}`)
        .send(paymentWithReceipt('ord_relay_twice', 'twice@example.com')).expect(201);
      await waitForJobToFinish(app, tenant.user, body.id);
      [{ id: followUpId }] = await followUpsOf(app, body.id);
      [entry] = await app.app.get(DataSource).query(`SELECT * FROM job_outbox WHERE job_id = $1`, [followUpId]);
    } finally {
      await relay.release();
    }
    await app.app.get(OutboxRelay).drain();
    expect(await waitForJobToFinish(app, tenant.venueAdmin, followUpId, 20_000)).toMatchObject({ status: 'completed' });

    // The same entry once more, as if the relay had died after Bull's add and before the delete.
    await app.app.get(DataSource).query(
      `INSERT INTO job_outbox (job_id, tenant_id, queue, type, envelope, options, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.job_id, entry.tenant_id, entry.queue, entry.type, entry.envelope, entry.options, entry.created_at],
    );
    expect(await app.app.get(OutboxRelay).drain()).toBe(1);
    const { QueueRegistry } = await import('../../src/queue-store/queue-registry');
    const queue = app.app.get(QueueRegistry).get('communication');
    await waitFor(async () => ((await queue.getJobCounts()).waiting + (await queue.getJobCounts()).active === 0 ? true : undefined));
    expect(await app.app.get(DataSource).query(`SELECT status, attempts FROM jobs WHERE id = $1`, [followUpId])).toEqual([{ status: 'completed', attempts: 1 }]);
    expect(sink.to('twice@example.com')).toHaveLength(1);
  });
});
