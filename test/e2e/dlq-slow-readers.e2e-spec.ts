import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { validateEnvironment } from '../../src/config/environment';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { TenantScope } from '../../src/database/tenant-scope';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { expectErrorBody } from '../support/error-body';
import { auth, submitOk } from '../support/job-requests';
import { newTenant, startTestApp, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

/** pg_stat_activity counts this app's sessions only: a database of this file's own. */
const database = privateDatabaseForThisFile();

const POOL_SIZE = 6;
const MAX_EXPORTS = 3;
/** Long enough that the bystander's work below ends well before the cut-off, short enough for a test. */
const IDLE_TIMEOUT_MS = 20_000;
/** PostgreSQL's backstop, beyond this file's waits: the cut-off seen here is the service's own. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 300_000;
/** Far more than loopback socket buffers take in (a few MB), so an unread export stalls. */
const ENTRIES_PER_TENANT = 3_000;

interface SlowReader {
  tenant: string;
  socket: Socket;
  status?: number;
  closed: boolean;
  received: Buffer[];
}

/**
 * Sends GET /dlq/export over a raw socket, reads the first chunk (to learn the status) and
 * then reads nothing more: the socket is paused, the kernel buffers fill, the server waits.
 */
function startSlowReader(port: number, tenant: string, token: string): SlowReader {
  const socket = connect(port, '127.0.0.1');
  const reader: SlowReader = { tenant, socket, closed: false, received: [] };
  socket.write(`GET /dlq/export HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
  socket.once('data', (chunk: Buffer) => {
    socket.pause();
    reader.received.push(chunk);
    reader.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1]);
  });
  socket.on('error', () => undefined);
  socket.once('close', () => (reader.closed = true));
  return reader;
}

/** Reads what the server sent, to the end of the connection. */
function readToEnd(reader: SlowReader): Promise<string> {
  return new Promise((resolve) => {
    const done = () => resolve(Buffer.concat(reader.received).toString('latin1'));
    if (reader.closed) return done();
    reader.socket.on('data', (chunk: Buffer) => reader.received.push(chunk));
    reader.socket.once('close', done);
    reader.socket.resume();
  });
}

/** Rejects, rather than hanging, when `work` does not finish within `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('Slow DLQ export readers', () => {
  let test: TestApp;
  let port: number;
  let monitor: Client;
  const readers: SlowReader[] = [];

  beforeAll(async () => {
    test = await startTestApp({
      env: {
        ...database.env(),
        DATABASE_POOL_SIZE: String(POOL_SIZE),
        DLQ_EXPORT_MAX_CONCURRENT: String(MAX_EXPORTS),
        DLQ_EXPORT_MAX_PER_TENANT: '1',
        DLQ_EXPORT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(IDLE_IN_TRANSACTION_TIMEOUT_MS),
      },
    });
    await test.app.listen(0, '127.0.0.1');
    port = (test.app.getHttpServer().address() as AddressInfo).port;
    monitor = new Client({ connectionString: database.env().DATABASE_URL });
    await monitor.connect();
  });
  afterAll(async () => {
    for (const reader of readers) reader.socket.destroy();
    await monitor?.end();
    await test?.close();
  });

  /** The app's sessions in this database (the monitor's own excluded). */
  async function sessions(): Promise<{ exporting: number; inTransaction: number; total: number }> {
    const { rows } = await monitor.query<{ exporting: string; in_transaction: string; total: string }>(
      `SELECT count(*) FILTER (WHERE state LIKE 'idle in transaction%' AND query LIKE 'FETCH FORWARD%') AS exporting,
              count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS in_transaction,
              count(*) AS total
         FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'queue-service'`,
    );
    return { exporting: Number(rows[0].exporting), inTransaction: Number(rows[0].in_transaction), total: Number(rows[0].total) };
  }

  async function seedEntries(tenantId: string): Promise<void> {
    await test.app.get(TenantScope).run(tenantId, (manager) => manager.query(
      `INSERT INTO dead_letter_jobs (tenant_id, job_id, queue, type, data, error_type, error_message, attempts, first_failed_at, last_failed_at)
       SELECT $1, gen_random_uuid(), 'money', 'payment-process',
              jsonb_build_object('orderId', 'ord_' || i, 'padding', repeat('x', 4000)),
              'card_declined', 'Your card was declined.', 1, now(), now()
         FROM generate_series(1, $2::int) AS i`,
      [tenantId, ENTRIES_PER_TENANT],
    ));
  }

  it('caps exports per tenant and overall, keeps the API and the workers going, and cuts the stalled exports off', async () => {
    const tenants = Array.from({ length: 5 }, () => newTenant());
    for (const tenant of tenants) await seedEntries(tenant.tenantId);
    const bystander = newTenant();

    // Ten clients, two per tenant, start an export and never read it.
    for (const tenant of tenants) {
      for (let copy = 0; copy < 2; copy += 1) readers.push(startSlowReader(port, tenant.tenantId, tenant.admin));
    }
    await waitFor(async () => (readers.every((reader) => reader.status) ? true : undefined), 15_000, 'every export to answer');
    const admitted = readers.filter((reader) => reader.status === 200);
    expect(admitted).toHaveLength(MAX_EXPORTS);
    expect(new Set(admitted.map((reader) => reader.tenant)).size).toBe(MAX_EXPORTS);
    expect(readers.filter((reader) => reader.status === 429)).toHaveLength(readers.length - MAX_EXPORTS);
    const refused = readers.find((reader) => reader.status === 429)!;
    const refusal = await within(5_000, 'a refused export', readToEnd(refused));
    expect(refusal).toMatch(/^Retry-After: \d+\r$/m);
    expect(JSON.parse(refusal.slice(refusal.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });

    // The admitted exports hold a connection each, in a transaction, waiting for their client.
    await waitFor(async () => ((await sessions()).exporting === MAX_EXPORTS ? true : undefined), 15_000, 'the exports to stall');

    // Meanwhile another tenant's reads, its own export (refused: the slots are taken) and a job all go through.
    await within(IDLE_TIMEOUT_MS * 0.7, "the bystander's requests", (async () => {
      const list = await test.http().get('/dlq').set(auth(bystander.admin)).expect(200);
      expect(list.body).toMatchObject({ items: [], total: 0 });
      await test.http().get('/queues/money/jobs').set(auth(bystander.user)).expect(200);
      const busy = await test.http().get('/dlq/export').set(auth(bystander.admin));
      expectErrorBody(busy, 429, 'Too Many Requests');
      expect(busy.headers['retry-after']).toMatch(/^\d+$/);
      const job = await submitOk(test, bystander.user, 'payment-process');
      expect((await waitForJobToFinish(test, bystander.user, job.id, IDLE_TIMEOUT_MS / 2)).status).toBe('completed');
      const analytics = await submitOk(test, bystander.user, 'analytics-process');
      expect((await waitForJobToFinish(test, bystander.user, analytics.id, IDLE_TIMEOUT_MS / 2)).status).toBe('completed');
    })());
    // ...while the stalled exports still held their connections: nothing was freed for it.
    expect((await sessions()).exporting).toBe(MAX_EXPORTS);

    // The idle timeout cuts the stalled exports off: transactions ended, connections back in the pool.
    await waitFor(async () => {
      const now = await sessions();
      return now.exporting === 0 && now.inTransaction === 0 ? true : undefined;
    }, IDLE_TIMEOUT_MS * 2, 'the stalled exports to be cut off');
    expect((await sessions()).total).toBeLessThanOrEqual(POOL_SIZE);
    for (const reader of admitted) {
      const text = await within(30_000, 'reading a cut-off export', readToEnd(reader));
      expect(text.startsWith('HTTP/1.1 200')).toBe(true);
      // A chunked body that ends without its last (empty) chunk: the client knows it is incomplete.
      expect(text.endsWith('0\r\n\r\n')).toBe(false);
    }

    // The slots are free again.
    const after = await test.http().get('/dlq/export').set(auth(bystander.admin)).expect(200);
    expect(after.body).toEqual([]);
  }, 180_000);

  it('runs every pooled session under the configured statement and idle-in-transaction timeouts', async () => {
    const [statement] = await test.app.get(DataSource).query('SHOW statement_timeout');
    const [idle] = await test.app.get(DataSource).query('SHOW idle_in_transaction_session_timeout');
    expect([statement.statement_timeout, idle.idle_in_transaction_session_timeout]).toEqual(['30s', '5min']);
  });

  it('has PostgreSQL cancel a long statement and end a transaction left idle', async () => {
    const config = new AppConfig(validateEnvironment({
      NODE_ENV: 'test', DATABASE_URL: database.env().DATABASE_URL,
      DATABASE_STATEMENT_TIMEOUT_MS: '300', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '400', DLQ_EXPORT_IDLE_TIMEOUT_MS: '200',
    }));
    const dataSource = await new DataSource({ ...dataSourceOptions(config), migrations: [] }).initialize();
    try {
      await expect(dataSource.query('SELECT pg_sleep(3)')).rejects.toThrow(/statement timeout/);
      let pid = 0;
      await expect(dataSource.transaction(async (manager) => {
        [{ pid }] = await manager.query('SELECT pg_backend_pid() AS pid');
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await manager.query('SELECT 1');
      })).rejects.toThrow();
      const { rows } = await monitor.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      expect(pid).toBeGreaterThan(0);
      expect(rows).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});
