import { GENERATED_JWT_SECRET } from './auth.config';
import { InvalidEnvironmentError, validateEnvironment } from './environment';
import { DLQ_RETENTION_CRON, IDEMPOTENCY_CLEANUP_CRON } from './schedules.config';

/** Runs validateEnvironment and returns the error it throws (fails the test if it throws none). */
function errorOf(raw: Record<string, unknown>): InvalidEnvironmentError {
  try {
    validateEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return error as InvalidEnvironmentError;
  }
  throw new Error('validateEnvironment accepted an invalid environment');
}

const problemVariables = (error: InvalidEnvironmentError) => error.problems.map((problem) => problem.split(':')[0]).sort();

describe('validateEnvironment', () => {
  it('defaults every variable so a fresh checkout runs without a .env', () => {
    // toMatchObject: variables added later come with defaults of their own.
    expect(validateEnvironment({})).toMatchObject({
      NODE_ENV: 'development',
      APP_ROLE: 'all',
      PORT: 3000,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/queue_service',
      DATABASE_POOL_SIZE: 10,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: 'queue-service',
      JWT_SECRET: GENERATED_JWT_SECRET,
      QUEUE_LOCK_DURATION_MS: 30_000,
      QUEUE_STALLED_INTERVAL_MS: 30_000,
      SWAGGER_ENABLED: true,
    });
  });

  it('converts strings from the environment to typed values and drops unknown variables', () => {
    const env = validateEnvironment({
      PORT: '8080',
      DATABASE_POOL_SIZE: '25',
      SWAGGER_ENABLED: 'false',
      QUEUE_LOCK_DURATION_MS: '500',
      APP_ROLE: 'worker',
      HOME: '/root',
      PATH: '/usr/bin',
    });
    expect(env).toMatchObject({ PORT: 8080, DATABASE_POOL_SIZE: 25, SWAGGER_ENABLED: false, QUEUE_LOCK_DURATION_MS: 500, APP_ROLE: 'worker' });
    expect(env).not.toHaveProperty('HOME');
    expect(env).not.toHaveProperty('PATH');
  });

  it('defaults the reliability settings and reads them typed', () => {
    expect(validateEnvironment({})).toMatchObject({
      IDEMPOTENCY_TTL_HOURS: 24,
      RECOVERY_INTERVAL_MS: 30_000,
      RECOVERY_GRACE_MS: 10_000,
      REDIS_REQUIRE_NOEVICTION: true,
      DLQ_RETENTION_DAYS: 30,
    });
    expect(validateEnvironment({ DLQ_RETENTION_DAYS: '7', JOB_LEASE_MS: '900' })).toMatchObject({ DLQ_RETENTION_DAYS: 7, JOB_LEASE_MS: 900 });
  });

  it.each(['0', '-1', '2.5', 'thirty', '99999'])('refuses DLQ_RETENTION_DAYS=%s, naming the variable', (value) => {
    expect(problemVariables(errorOf({ DLQ_RETENTION_DAYS: value }))).toEqual(['DLQ_RETENTION_DAYS']);
  });

  it('reads PUBLIC_URL, the base URL of the OpenAPI document, as an http(s) URL without a trailing slash', () => {
    expect(validateEnvironment({ PUBLIC_URL: 'https://queue.example.org/api' })).toMatchObject({ PUBLIC_URL: 'https://queue.example.org/api' });
    for (const value of ['ftp://queue.example.org', 'https://queue.example.org/', 'not a url', 'https://x.org/?a=1']) {
      expect(problemVariables(errorOf({ PUBLIC_URL: value }))).toEqual(['PUBLIC_URL']);
    }
  });

  it('defaults the housekeeping schedules to hourly key cleanup and nightly retention, and reads others', () => {
    expect(validateEnvironment({})).toMatchObject({ IDEMPOTENCY_CLEANUP_CRON, DLQ_RETENTION_CRON });
    expect(IDEMPOTENCY_CLEANUP_CRON).toBe('0 0-23/1 * * *');
    expect(DLQ_RETENTION_CRON).toBe('15 3 * * *');
    expect(validateEnvironment({ IDEMPOTENCY_CLEANUP_CRON: '*/5 * * * * *', DLQ_RETENTION_CRON: '0 4 * * *' })).toMatchObject({
      IDEMPOTENCY_CLEANUP_CRON: '*/5 * * * * *',
      DLQ_RETENTION_CRON: '0 4 * * *',
    });
    expect(validateEnvironment({ IDEMPOTENCY_CLEANUP_CRON: 'off', DLQ_RETENTION_CRON: 'off' })).toMatchObject({
      IDEMPOTENCY_CLEANUP_CRON: 'off',
      DLQ_RETENTION_CRON: 'off',
    });
  });

  it.each(['hourly', '61 * * * *', '* * *'])('refuses a schedule that is no cron expression (%s), naming the variable', (value) => {
    const error = errorOf({ IDEMPOTENCY_CLEANUP_CRON: value, DLQ_RETENTION_CRON: value });
    expect(problemVariables(error)).toEqual(['DLQ_RETENTION_CRON', 'IDEMPOTENCY_CLEANUP_CRON']);
    expect(error.message).toContain('not a cron expression');
  });

  it('names every bad variable in one error', () => {
    const error = errorOf({ PORT: 'abc', APP_ROLE: 'boss', REDIS_URL: 'http://x' });
    expect(problemVariables(error)).toEqual(['APP_ROLE', 'PORT', 'REDIS_URL']);
    expect(error.message).toMatch(/^Invalid configuration: /);
    for (const variable of ['PORT', 'APP_ROLE', 'REDIS_URL']) expect(error.message).toContain(variable);
    expect(error.name).toBe('InvalidEnvironmentError');
  });

  it('names each of many bad variables, with no quotes in the messages', () => {
    const error = errorOf({
      NODE_ENV: 'staging',
      PORT: '70000',
      LOG_LEVEL: 'verbose',
      DATABASE_URL: 'mysql://db/queue',
      DATABASE_POOL_SIZE: '0',
      REDIS_PREFIX: 'has spaces',
      QUEUE_LOCK_DURATION_MS: '10',
      QUEUE_STALLED_INTERVAL_MS: 'soon',
      SWAGGER_ENABLED: 'maybe',
    });
    expect(problemVariables(error)).toEqual([
      'DATABASE_POOL_SIZE', 'DATABASE_URL', 'LOG_LEVEL', 'NODE_ENV', 'PORT', 'QUEUE_LOCK_DURATION_MS',
      'QUEUE_STALLED_INTERVAL_MS', 'REDIS_PREFIX', 'SWAGGER_ENABLED',
    ]);
    expect(error.message).not.toContain('"');
  });

  it('refuses to run in production without JWT_SECRET', () => {
    const error = errorOf({ NODE_ENV: 'production' });
    expect(problemVariables(error)).toEqual(['JWT_SECRET']);
    expect(error.message).toMatch(/JWT_SECRET.*required/);
  });

  it('refuses a production JWT_SECRET shorter than 32 characters', () => {
    expect(problemVariables(errorOf({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) }))).toEqual(['JWT_SECRET']);
  });

  it('runs in production with a 40-character secret, never falling back to the development secret', () => {
    const secret = 'p'.repeat(40);
    const env = validateEnvironment({ NODE_ENV: 'production', JWT_SECRET: secret, PROVIDERS_DISABLED: 'stripe,email,sms,solana' });
    expect(env.JWT_SECRET).toBe(secret);
    expect(env.NODE_ENV).toBe('production');
  });

  it('lists a missing production secret together with the other bad variables', () => {
    expect(problemVariables(errorOf({ NODE_ENV: 'production', PORT: 'abc' }))).toEqual(['JWT_SECRET', 'PORT']);
  });

  it('outside production, refuses a secret shorter than 16 characters', () => {
    expect(problemVariables(errorOf({ NODE_ENV: 'test', JWT_SECRET: 'short' }))).toEqual(['JWT_SECRET']);
  });
});
