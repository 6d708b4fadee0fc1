/**
 * The environment every e2e test process runs in: the database global-setup made for this run
 * and a Redis prefix per Jest worker, so parallel runs, workers and a developer's running
 * service never meet.
 */
export const TEST_JWT_SECRET = 'test-secret-for-the-e2e-suite-only-0123456789';

Object.assign(process.env, {
  NODE_ENV: 'test',
  DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queue_service_test',
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  REDIS_PREFIX: `qs-test-${process.env.JEST_WORKER_ID ?? '0'}-${process.pid}`,
  JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  DATABASE_POOL_SIZE: '5',
  // The snapshot repeatables would be a delayed job in every app's background queue, which never
  // goes idle; the metrics tests turn them on for their own apps.
  QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: '0',
  MONITORING_INTERVAL_MS: '0',
  // Likewise the housekeeping repeatables; housekeeping-crons.e2e-spec.ts turns them on.
  IDEMPOTENCY_CLEANUP_CRON: 'off',
  DLQ_RETENTION_CRON: 'off',
});
