import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { privateDatabaseForThisFile } from '../support/app-lifecycle';
import { tokenFor } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';
import { freePort } from '../support/free-port';

// The tests add CHECK constraints to `jobs` and `dead_letter_jobs`: a database of this file's own.
privateDatabaseForThisFile();

/**
 * The service's real log output (stdout of the service run as its own process, API and workers,
 * JSON lines) while requests carry tokens outside Authorization and while statements carrying
 * personal data fail: none of those values may appear in it.
 */
describe('Logs carry no credential and no payload value', () => {
  let service: WorkerProcess;
  let base: string;
  let database: Client;
  const tenantId = randomUUID();
  const token = tokenFor({ tenantId, roles: ['admin'] });

  beforeAll(async () => {
    database = new Client({ connectionString: process.env.DATABASE_URL });
    await database.connect();
    // PostgreSQL refuses these rows, so that the statements carrying them fail.
    await database.query(`ALTER TABLE jobs ADD CONSTRAINT refuse_apileak CHECK (data::text NOT LIKE '%apileak%') NOT VALID`);
    await database.query(`ALTER TABLE dead_letter_jobs ADD CONSTRAINT refuse_workerleak CHECK (data::text NOT LIKE '%workerleak%') NOT VALID`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = await startWorkerProcess({ APP_ROLE: 'all', PORT: String(port), LOG_FORMAT: 'json' }, async () => {
      const response = await fetch(`${base}/health/live`).catch(() => undefined);
      return response?.ok === true;
    }, 150_000);
  }, 180_000);
  afterAll(async () => {
    await service?.stop();
    await database?.end();
  });

  const request = (path: string, init: RequestInit & { requestId: string }) =>
    fetch(`${base}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': init.requestId, ...init.headers } });
  const logged = (text: string) => waitFor(async () => (service.output().includes(text) ? true : undefined), 20_000, `"${text}" in the log`);

  it('tokens in the query string, in X-Api-Key and in the dashboard cookie are redacted', async () => {
    const secrets = ['q-token-5f1e9a', 'q-access-77c2d0', 'h-apikey-0b4c1d', 's-cookie-9e8f7a'];
    const requestIds = ['log-test-query-1', 'log-test-dashboard-1', 'log-test-unauthenticated-1'];
    await request(`/jobs/${randomUUID()}?token=${secrets[0]}&access_token=${secrets[1]}`, {
      requestId: requestIds[0], headers: { 'X-Api-Key': secrets[2], Cookie: `qs_dashboard=${secrets[3]}` },
    });
    await fetch(`${base}/admin/queues/api/queues`, { headers: { Cookie: `qs_dashboard=${secrets[3]}`, 'X-Request-Id': requestIds[1] } });
    await fetch(`${base}/dlq?access_token=${secrets[1]}`, { headers: { 'X-Api-Key': secrets[2], 'X-Request-Id': requestIds[2] } });
    for (const id of requestIds) await logged(id);
    const output = service.output();
    for (const secret of [...secrets, token]) expect(output).not.toContain(secret);
    expect(output).toContain('[redacted]');
  });

  it('a failed statement logs neither its parameters nor the row PostgreSQL quotes: no e-mail, phone, SMS body or payment method', async () => {
    const values = ['apileak.ada@example.com', '+14155550142', 'apileak code 918273', 'pm_apileak_4242', '918273', '4155550142'];
    const submissions = [
      { type: 'email-send', data: { to: values[0], subject: 'Tickets', body: 'apileak body' } },
      { type: 'sms-send', data: { to: values[1], body: values[2] } },
      { type: 'payment-process', data: { orderId: 'ord_apileak', amount: 2500, currency: 'usd', paymentMethodId: values[3] } },
    ];
    for (const [index, body] of submissions.entries()) {
      const requestId = `log-test-db-error-${index}`;
      const response = await request('/jobs', { requestId, method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      expect(response.status).toBe(500);
      await logged(requestId);
      await waitFor(async () => (service.output().split('"Unhandled error"').length > index + 1 ? true : undefined), 20_000, 'the error line');
    }
    const output = service.output();
    expect(output).toContain('refuse_apileak'); // the error itself is logged, by its constraint
    for (const value of values) expect(output).not.toContain(value);
  });

  it("a worker's failed dead-letter insert logs none of the job's data", async () => {
    const body = { type: 'payment-process', data: { orderId: 'ord_workerleak', amount: 2500, currency: 'usd', paymentMethodId: 'pm_card_chargeDeclined' } };
    const response = await request('/jobs', { requestId: 'log-test-worker-1', method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(201);
    await logged('The dead-letter entry was refused');
    const output = service.output();
    expect(output).toContain('refuse_workerleak');
    for (const value of ['ord_workerleak', 'pm_card_chargeDeclined']) expect(output).not.toContain(value);
  });
});
