import { DataSource } from 'typeorm';
import { MetricsPortServer } from '../../src/observability/metrics/metrics-port.server';
import { QueueRegistry } from '../../src/queue-store/queue-registry';
import { appsClosedAfterEach, privateDatabaseForThisFile } from '../support/app-lifecycle';
import { auth, submitOk } from '../support/job-requests';
import { DECLINED_PAYMENT, paymentData } from '../support/payloads';
import { parseExposition, promtoolCheckMetrics, promtoolPath, Sample, valueOf } from '../support/prometheus-text';
import { newRedisPrefix, newTenant, TestApp } from '../support/test-app';
import { waitFor, waitForJobToFinish } from '../support/wait-for';

// The snapshot test writes and prunes queue_metrics rows: this file has a database of its own.
const database = privateDatabaseForThisFile();
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

const scrape = async (test: TestApp): Promise<{ text: string; samples: Sample[] }> => {
  const response = await test.http().get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
  return { text: response.text, samples: parseExposition(response.text) };
};

describe('GET /metrics', () => {
  const startApp = appsClosedAfterEach();
  const start = (env: Record<string, string> = {}) =>
    startApp({ env: { ...database.env(), METRICS_SAMPLE_INTERVAL_MS: '200', ...env } });

  it('counts jobs that complete and fail, by queue, type and error type, with payments by currency and outcome', async () => {
    const test = await start();
    const tenant = newTenant();
    const before = (await scrape(test)).samples;
    expect(valueOf(before, 'queue_jobs_completed_total', { type: 'payment-process' })).toBe(0);
    expect(valueOf(before, 'queue_jobs_failed_total', { type: 'payment-process' })).toBe(0);

    const paid = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: 'ord_metrics_ok', amount: 2500, currency: 'usd' }));
    const declined = await submitOk(test, tenant.user, 'payment-process', { ...DECLINED_PAYMENT, orderId: 'ord_metrics_declined', currency: 'eur' });
    expect((await waitForJobToFinish(test, tenant.user, paid.id)).status).toBe('completed');
    const failed = await waitForJobToFinish(test, tenant.user, declined.id);
    expect(failed.status).toBe('failed');
    await test.http().get(`/jobs/${paid.id}`).set(auth(tenant.user)).expect(200);

    const { samples } = await waitFor(async () => {
      const now = await scrape(test);
      return valueOf(now.samples, 'queue_jobs_failed_total', { type: 'payment-process' }) >= 1 ? now : undefined;
    }, 10_000, 'the failure to be counted');
    const money = { queue: 'money', type: 'payment-process' };
    expect(valueOf(samples, 'queue_jobs_completed_total', money)).toBe(1);
    expect(valueOf(samples, 'queue_jobs_failed_total', { ...money, error_type: failed.error?.type ?? '?', final: 'true' })).toBe(1);
    expect(valueOf(samples, 'queue_job_duration_seconds_count', money)).toBe(2);
    expect(valueOf(samples, 'queue_job_wait_seconds_count', money)).toBe(2);
    expect(valueOf(samples, 'queue_payments_total', { currency: 'usd', outcome: 'succeeded' })).toBe(1);
    expect(valueOf(samples, 'queue_payments_total', { currency: 'eur', outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'queue_payment_amount_minor_total', { currency: 'usd' })).toBe(2500);
    expect(valueOf(samples, 'queue_payment_amount_minor_total', { currency: 'eur' })).toBe(0);
    // HTTP by route template: the ids never appear, the template does.
    expect(valueOf(samples, 'http_requests_total', { method: 'POST', route: '/jobs', status: '201' })).toBe(2);
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: '/jobs/:id', status: '200' })).toBeGreaterThanOrEqual(3);
    // Default Node process metrics.
    expect(samples.some((sample) => sample.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((sample) => sample.name.startsWith('nodejs_'))).toBe(true);
  });

  it('carries no job, tenant or user id in any label', async () => {
    const test = await start();
    const tenant = newTenant();
    const job = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: 'ord_labels' }));
    await waitForJobToFinish(test, tenant.user, job.id);
    await test.http().get(`/jobs/${job.id}`).set(auth(tenant.user)).expect(200);
    const { text, samples } = await waitFor(async () => {
      const now = await scrape(test);
      return valueOf(now.samples, 'queue_jobs_completed_total') >= 1 ? now : undefined;
    }, 10_000, 'the completion to be counted');
    expect(text).not.toContain(job.id);
    expect(text).not.toContain(tenant.tenantId);
    expect(text).not.toContain('user-1');
    const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.filter((value) => UUID.test(value))).toEqual([]);
  });

  it('samples queue counts, the oldest waiting job, the DLQ and the emergency stop on an interval', async () => {
    const test = await start();
    const tenant = newTenant();
    const money = test.app.get(QueueRegistry).get('money');
    await money.pause(true);
    try {
      await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: 'ord_sampled' }));
      const { samples } = await waitFor(async () => {
        const now = await scrape(test);
        return valueOf(now.samples, 'queue_jobs', { queue: 'money', state: 'waiting' }) === 1 ? now : undefined;
      }, 10_000, 'the waiting job to be sampled');
      expect(valueOf(samples, 'queue_oldest_waiting_seconds', { queue: 'money' })).toBeGreaterThanOrEqual(0);
      for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused']) {
        expect(samples.filter((sample) => sample.name === 'queue_jobs' && sample.labels.state === state)).toHaveLength(3);
      }
      expect(samples.filter((sample) => sample.name === 'queue_dlq_entries')).toHaveLength(3);
      expect(valueOf(samples, 'queue_emergency_stop')).toBe(0);
      expect(samples.filter((sample) => sample.name === 'queue_circuit_breaker_state').map((sample) => sample.labels.provider).sort()).toEqual(
        ['sendgrid', 'solana-rpc', 'stripe', 'twilio'],
      );
    } finally {
      await money.resume(true);
    }
  });

  it('passes `promtool check metrics` on a live exposition', async () => {
    const promtool = promtoolPath();
    if (!promtool) {
      console.warn('promtool is not on PATH (Debian package `prometheus`): `promtool check metrics` was not run');
      return;
    }
    const test = await start();
    const tenant = newTenant();
    const job = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: 'ord_promtool' }));
    await waitForJobToFinish(test, tenant.user, job.id);
    const { text } = await scrape(test);
    const { code, output } = await promtoolCheckMetrics(promtool, text);
    expect({ code, output }).toEqual({ code: 0, output: '' });
  });

  it('wants the METRICS_TOKEN bearer when one is configured', async () => {
    const test = await start({ METRICS_TOKEN: 'scrape-token-0123456789abcdef' });
    await test.http().get('/metrics').expect(401);
    await test.http().get('/metrics').set(auth('another-token-0123456789abcdef')).expect(401);
    await test.http().get('/metrics').set(auth(newTenant().admin)).expect(401);
    const response = await test.http().get('/metrics').set(auth('scrape-token-0123456789abcdef')).expect(200);
    expect(response.text).toContain('queue_jobs_completed_total');
  });

  it('serves /metrics open on METRICS_PORT only, when one is configured', async () => {
    const test = await start({ METRICS_PORT: '0' });
    await test.http().get('/metrics').expect(404);
    const port = test.app.get(MetricsPortServer).port;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('queue_jobs_completed_total');
    expect((await fetch(`http://127.0.0.1:${port}/jobs`)).status).toBe(404);
  });
});

describe('GET /metrics/json, /metrics/queue-stats, /metrics/system (admin)', () => {
  const startApp = appsClosedAfterEach();

  it('answers admins and refuses other roles', async () => {
    const test = await startApp({ env: { ...database.env(), METRICS_SAMPLE_INTERVAL_MS: '200' } });
    const tenant = newTenant();
    const job = await submitOk(test, tenant.user, 'payment-process', paymentData({ orderId: 'ord_stats' }));
    await waitForJobToFinish(test, tenant.user, job.id);
    for (const path of ['/metrics/json', '/metrics/queue-stats', '/metrics/system']) {
      await test.http().get(path).expect(401);
      await test.http().get(path).set(auth(tenant.user)).expect(403);
    }
    const families = (await test.http().get('/metrics/json').set(auth(tenant.admin)).expect(200)).body;
    const completed = families.find((family: { name: string }) => family.name === 'queue_jobs_completed_total');
    // A follow-up, had the payment any, may or may not have completed by now: count the payment.
    const payments = completed.samples.filter((sample: { labels: { type: string } }) => sample.labels.type === 'payment-process');
    expect(payments).toEqual([{ sample: 'queue_jobs_completed_total', labels: { queue: 'money', type: 'payment-process' }, value: 1 }]);

    const stats = await waitFor(async () => {
      const body = (await test.http().get('/metrics/queue-stats').set(auth(tenant.admin)).expect(200)).body;
      return body.sampledAt && body.queues[0].counts.completed === 1 ? body : undefined;
    }, 10_000, 'the completed payment to be sampled');
    expect(stats.queues.map((queue: { queue: string }) => queue.queue)).toEqual(['money', 'communication', 'background']);
    expect(stats.queues[0]).toMatchObject({ queue: 'money', completedInWindow: 1, failedInWindow: 0, successRate: 1 });
    expect(stats.queues[0].p50DurationMs).toBeGreaterThanOrEqual(0);
    expect(stats.queues[0].p95DurationMs).toBeGreaterThanOrEqual(stats.queues[0].p50DurationMs);
    // The background queue ran nothing (the payment's webhook event runs on communication).
    expect(stats.queues[2]).toMatchObject({ queue: 'background', completedInWindow: 0, successRate: null, p50DurationMs: null });

    const system = (await test.http().get('/metrics/system').set(auth(tenant.admin)).expect(200)).body;
    expect(system).toMatchObject({ role: 'all', pid: process.pid });
    expect(system.memory.rssBytes).toBeGreaterThan(0);
    expect(system.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});

describe('queue_metrics snapshots', () => {
  const startApp = appsClosedAfterEach();

  it('writes a row per queue on the configured interval, through one repeatable per deployment, and prunes old rows', async () => {
    const started = new Date();
    const env = { ...database.env(), QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: '300' };
    const redisPrefix = newRedisPrefix();
    const first = await startApp({ env, redisPrefix });
    // A second process of the same deployment registers the same schedules: Bull keeps one of each.
    await startApp({ env, redisPrefix });
    const repeatables = await first.app.get(QueueRegistry).get('background').getRepeatableJobs();
    expect(repeatables.map((job) => job.id).sort()).toEqual(['queue-metrics-retention', 'queue-metrics-snapshot']);

    const db = first.app.get(DataSource);
    const rows = await waitFor(async () => {
      const found: { queue: string }[] = await db.query(`SELECT queue FROM queue_metrics WHERE captured_at >= $1`, [started]);
      return found.length >= 6 ? found : undefined;
    }, 15_000, 'two snapshots of every queue');
    expect(new Set(rows.map((row) => row.queue))).toEqual(new Set(['money', 'communication', 'background']));

    await db.query(`INSERT INTO queue_metrics (queue, captured_at, waiting, active, delayed, completed, failed, paused)
                    VALUES ('money', now() - interval '40 days', 0, 0, 0, 0, 0, false)`);
    const tenant = newTenant();
    const retention = await submitOk(first, tenant.admin, 'scheduled-task', { task: 'queue-metrics-retention' });
    const done = await waitFor(async () => {
      const job = await first.app.get(QueueRegistry).get('background').getJob(retention.id);
      return job?.finishedOn ? job : undefined;
    }, 10_000, 'the retention task');
    expect(done.returnvalue).toEqual({ task: 'queue-metrics-retention', removed: 1 });
    const [{ old }] = await db.query(`SELECT count(*)::int AS old FROM queue_metrics WHERE captured_at < now() - interval '30 days'`);
    expect(old).toBe(0);
  });
});
