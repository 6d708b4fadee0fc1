import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { expectErrorBody } from '../support/error-body';
import { auth } from '../support/job-requests';
import { paymentJob, VALID_PAYLOADS } from '../support/payloads';
import { startTcpProxy, TcpProxy, viaProxy } from '../support/tcp-proxy';
import { newTenant, startTestApp, TestApp, tokenFor } from '../support/test-app';
import { waitForJobToFinish } from '../support/wait-for';

const DEFAULT_LIMIT = 5;

/** The app reaches PostgreSQL through a loopback proxy the test cuts and restores. */
describe('PostgreSQL unreachable', () => {
  let proxy: TcpProxy;
  let test: TestApp;

  beforeAll(async () => {
    const direct = new URL(String(process.env.DATABASE_URL));
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    test = await startTestApp({
      env: {
        DATABASE_URL: viaProxy(direct.toString(), proxy),
        API_RATE_LIMIT_DEFAULT: String(DEFAULT_LIMIT),
        // Every request reads rate_limits, so a cut is felt by the very next one.
        API_RATE_LIMIT_OVERRIDE_CACHE_MS: '0',
      },
    });
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await test?.close();
    await proxy?.close();
  });

  /** A tenant-wide rate_limits row for the default group (the route group of reads such as GET /jobs/:id). */
  const allowTenant = (tenantId: string, maxRequests: number) =>
    test.app.get(DataSource).query(
      `INSERT INTO rate_limits (tenant_id, client_key, route_group, max_requests, window_seconds) VALUES ($1, '*', 'default', $2, 60)`,
      [tenantId, maxRequests],
    );

  const submit = (token: string, orderId: string) =>
    test.http().post('/jobs').set(auth(token)).send(paymentJob({ orderId }));

  it('answers job routes 503 in the error shape while cut, accepts nothing, and works again once back', async () => {
    const tenant = newTenant();
    // Polling for the jobs below takes more reads than the default of this app allows.
    await allowTenant(tenant.tenantId, 10_000);
    const before = (await submit(tenant.user, 'ord_before').expect(201)).body;
    const money = test.app.get(QueueRegistry).get('money');
    await waitForJobToFinish(test, tenant.user, before.id);
    const jobsInRedis = async () => (await money.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'paused'])).length;
    const heldBefore = await jobsInRedis();

    await proxy.cut();
    try {
      expectErrorBody(await submit(tenant.user, 'ord_during_cut'), 503, 'Service Unavailable');
      expectErrorBody(await test.http().get(`/jobs/${before.id}`).set(auth(tenant.user)), 503, 'Service Unavailable');
      expectErrorBody(
        await test.http().post('/jobs/batch').set(auth(tenant.admin)).send({ jobs: [{ type: 'email-send', data: VALID_PAYLOADS['email-send'] }] }),
        503,
        'Service Unavailable',
      );
      // Nothing half-accepted: no Bull job was added for a submission whose record could not be written.
      expect(await jobsInRedis()).toBe(heldBefore);
    } finally {
      await proxy.restore();
    }

    const after = (await submit(tenant.user, 'ord_after').expect(201)).body;
    expect((await waitForJobToFinish(test, tenant.user, after.id)).status).toBe('completed');
    expect((await test.http().get(`/jobs/${before.id}`).set(auth(tenant.user)).expect(200)).body.status).toBe('completed');
  });

  it("limits each caller by the configured default while the tenant's rate_limits row cannot be read", async () => {
    const tenant = newTenant();
    await allowTenant(tenant.tenantId, 100);
    // With PostgreSQL up the tenant's row applies: more than the default passes.
    const reader = tokenFor({ tenantId: tenant.tenantId, sub: 'reader-up' });
    for (let call = 0; call <= DEFAULT_LIMIT; call += 1) await test.http().get('/queues').set(auth(reader)).expect(200);

    await proxy.cut();
    try {
      const caller = tokenFor({ tenantId: tenant.tenantId, sub: 'reader-down' });
      for (let call = 0; call < DEFAULT_LIMIT; call += 1) await test.http().get('/queues').set(auth(caller)).expect(200);
      const refused = await test.http().get('/queues').set(auth(caller));
      expectErrorBody(refused, 429, 'Too Many Requests');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Another caller has a budget of its own, even now.
      await test.http().get('/queues').set(auth(tokenFor({ tenantId: tenant.tenantId, sub: 'reader-other' }))).expect(200);
    } finally {
      await proxy.restore();
    }
    // Back: the row applies again (the caller is over the default, under the row's 100).
    const caller = tokenFor({ tenantId: tenant.tenantId, sub: 'reader-back' });
    for (let call = 0; call <= DEFAULT_LIMIT; call += 1) await test.http().get('/queues').set(auth(caller)).expect(200);
  });
});
