import { createServer } from 'node:net';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { parseExposition } from '../support/prometheus-text';
import { startScratchRedis } from '../support/scratch-redis';
import { startTcpProxy, viaProxy } from '../support/tcp-proxy';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess } from '../support/worker-process';
import { freePort } from '../support/free-port';

// Apps here run recovery against a Redis of their own: a database of this file's own keeps
// other files' pending jobs out of it.
const database = privateDatabaseForThisFile();

const CHECK_TIMEOUT_MS = 1_000;
/** What a Kubernetes probe would allow: the check's own bound plus room for a loaded machine. */
const PROBE_TIMEOUT_MS = CHECK_TIMEOUT_MS + 1_500;

const ready = (test: TestApp) => test.http().get('/health/ready').timeout(PROBE_TIMEOUT_MS);

describe('health probes', () => {
  const startApp = appsClosedAfterEach();
  const start = (env: Record<string, string> = {}) =>
    startApp({ env: { ...database.env(), HEALTH_CHECK_TIMEOUT_MS: String(CHECK_TIMEOUT_MS), ...env } });

  it('answers live, ready and startup without a token; sandbox and disabled providers say so', async () => {
    const test = await start({ PROVIDERS_DISABLED: 'solana' });
    expect((await test.http().get('/health/live').expect(200)).body).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });
    const body = (await ready(test).expect(200)).body;
    expect(body).toMatchObject({
      status: 'ok',
      error: {},
      details: { redis: { status: 'up' }, postgres: { status: 'up' } },
      providers: {
        stripe: { status: 'sandbox', mode: 'sandbox' },
        email: { status: 'sandbox', mode: 'sandbox' },
        solana: { status: 'disabled', mode: 'disabled' },
      },
    });
    expect((await test.http().get('/health/startup').expect(200)).body).toEqual({
      status: 'ok',
      migrations: 'done',
      queues: 'done',
      recovery: 'done',
    });
  });

  it('checks a live provider at its configured endpoint, within the timeout', async () => {
    const smtp = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const smtpPort = (smtp.address() as { port: number }).port;
    try {
      const test = await start({ SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, MAIL_FROM: 'tickets@example.com' });
      const up = (await ready(test).expect(200)).body;
      expect(up.providers.email).toEqual({ status: 'up', mode: 'live', latencyMs: expect.any(Number) });
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      // A provider outage is reported, but readiness stays: every instance would see the same.
      const down = (await ready(test).expect(200)).body;
      expect(down.providers.email).toEqual({ status: 'down', mode: 'live', reason: 'unreachable (ECONNREFUSED)' });
    } finally {
      smtp.close();
    }
  });

  it('turns 503 while Redis is gone and 200 once it is back, each answer within the probe timeout', async () => {
    const redis = await startScratchRedis();
    try {
      const test = await start({ REDIS_URL: redis.url });
      await ready(test).expect(200);
      await redis.kill();
      const down = (await ready(test).expect(503)).body;
      expect(down).toMatchObject({ status: 'error', error: { redis: { status: 'down' } }, details: { postgres: { status: 'up' } } });
      await redis.restart();
      await waitFor(async () => ((await ready(test)).status === 200 ? true : undefined), 10_000, 'readiness after Redis returned');
    } finally {
      await redis.stop();
    }
  });

  it('turns 503 while PostgreSQL is unreachable or hangs, and 200 once it is back, each within the probe timeout', async () => {
    const direct = new URL(database.env().DATABASE_URL);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    try {
      const test = await start({ DATABASE_URL: viaProxy(direct.toString(), proxy) });
      await ready(test).expect(200);

      await proxy.cut();
      expect((await ready(test).expect(503)).body).toMatchObject({ error: { postgres: { status: 'down' } }, details: { redis: { status: 'up' } } });
      await proxy.restore();
      await waitFor(async () => ((await ready(test)).status === 200 ? true : undefined), 10_000, 'readiness after PostgreSQL returned');

      // A hung server: connections stay open and nothing answers. The check's own timeout answers.
      proxy.freeze();
      const hung = (await ready(test).expect(503)).body;
      expect(hung.error.postgres).toEqual({ status: 'down', reason: `no answer within ${CHECK_TIMEOUT_MS} ms` });
      proxy.thaw();
      await waitFor(async () => ((await ready(test)).status === 200 ? true : undefined), 10_000, 'readiness after PostgreSQL thawed');
    } finally {
      proxy.thaw();
      await proxy.close();
    }
  });
});

describe('a worker process (APP_ROLE=worker)', () => {
  it('answers its probes and /metrics on its port, and 404 for everything else', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const worker = await startWorkerProcess({ ...database.env(), PORT: String(port) }, async () => {
      const response = await fetch(`${base}/health/startup`).catch(() => undefined);
      return response?.status === 200;
    });
    try {
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const readiness = await fetch(`${base}/health/ready`);
      expect(readiness.status).toBe(200);
      expect(await readiness.json()).toMatchObject({ status: 'ok' });
      expect(await (await fetch(`${base}/health/startup`)).json()).toEqual({ status: 'ok', migrations: 'done', queues: 'done', recovery: 'done' });
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      const samples = parseExposition(await metrics.text());
      expect(samples.some((sample) => sample.name === 'queue_jobs')).toBe(true);
      for (const path of ['/jobs', '/jobs/123', '/queues', '/docs', '/docs-json', '/', '/metrics/json', '/rate-limits']) {
        const response = await fetch(`${base}${path}`);
        expect([path, response.status]).toEqual([path, 404]);
        expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
      expect((await fetch(`${base}/jobs`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});

