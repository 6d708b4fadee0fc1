import Bull from 'bull';
import Redis from 'ioredis';
import { sign } from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config';
import { validateEnvironment } from '../src/config/environment';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ensureDatabaseExists } from '../src/database/ensure-database';
import { SERVICE_TENANT_ID } from '../src/job-definitions/job-envelope';
import { QUEUE_NAMES, QueueName } from '../src/job-definitions/queue-names';
import { BUILD_DIR } from './build';
import { Child, startChild } from './processes';
import { productionNodeFlags } from './production-node-flags';

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JWT_SECRET = 'bench-secret-0123456789-0123456789-abcdef';

/** What `npm run start:prod` gives node: the service is measured as production runs it. */
export const PRODUCTION_NODE_FLAGS: string[] = productionNodeFlags();

/** One bench run's database, Redis prefix, tokens and log folder; nothing shared with tests or a dev service. */
export class BenchContext {
  readonly id = `${process.pid}_${Date.now().toString(36)}`;
  readonly databaseName = `queue_service_bench_${this.id}`;
  readonly databaseUrl: string;
  readonly redisPrefix = `qs-bench-${this.id}`;
  readonly logDir = join(BUILD_DIR, 'logs');
  readonly pool: Pool;
  readonly redis = new Redis(REDIS_URL);
  readonly adminToken = this.token(SERVICE_TENANT_ID, 'admin');

  constructor() {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${this.databaseName}`;
    this.databaseUrl = url.toString();
    this.pool = new Pool({ connectionString: this.databaseUrl, max: 4 });
    mkdirSync(this.logDir, { recursive: true });
  }

  token(tenantId: string, role: 'admin' | 'venue_admin' = 'venue_admin'): string {
    return sign({ tenantId, roles: [role] }, JWT_SECRET, { algorithm: 'HS256', subject: `bench-${role}`, expiresIn: 3600 });
  }

  /** The bench database, migrated like a deployment's, plus the hand-written pipeline's table. */
  async createDatabase(): Promise<void> {
    await ensureDatabaseExists(this.databaseUrl);
    const config = new AppConfig(validateEnvironment({ NODE_ENV: 'development', DATABASE_URL: this.databaseUrl }));
    const dataSource = new DataSource(dataSourceOptions(config));
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
    // The sandbox Stripe bucket stands for an account with high limits: the bucket still runs
    // for every job, it just never makes the bench wait on Stripe's documented 25/s default.
    await this.pool.query(`UPDATE rate_limiters SET capacity = 1000000, refill_per_second = 1000000`);
    await this.pool.query(`
      CREATE TABLE bench_pipeline (
        id uuid PRIMARY KEY, run text NOT NULL, data jsonb NOT NULL, status text NOT NULL DEFAULT 'waiting',
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(), started_at timestamptz, finished_at timestamptz)`);
    await this.pool.query(`CREATE INDEX ON bench_pipeline (run)`);
  }

  serviceEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      NODE_ENV: 'development',
      APP_ROLE: 'all',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL,
      REDIS_PREFIX: this.redisPrefix,
      JWT_SECRET,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      // Background repeatables off: only the bench's jobs run.
      QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: '0',
      MONITORING_INTERVAL_MS: '0',
      IDEMPOTENCY_CLEANUP_CRON: 'off',
      DLQ_RETENTION_CRON: 'off',
      // One caller sends everything here; the throttler still counts each request.
      API_RATE_LIMIT_DEFAULT: '100000000',
      API_RATE_LIMIT_JOBS_SUBMIT: '100000000',
      API_RATE_LIMIT_ADMIN: '100000000',
      QUEUE_STATUS_CACHE_MS: '0',
      ...overrides,
    };
  }

  private readonly children: Child[] = [];

  private async started(child: Promise<Child>): Promise<Child> {
    this.children.push(await child);
    return this.children[this.children.length - 1];
  }

  /** The service runs with the node flags `npm run start:prod` (and the Dockerfile) give it: the heap limit. */
  startService(name: string, overrides: Record<string, string> = {}, nodeArgs: string[] = PRODUCTION_NODE_FLAGS): Promise<Child> {
    return this.started(startChild({
      script: join(BUILD_DIR, 'src', 'main.js'),
      env: this.serviceEnvironment(overrides),
      logFile: join(this.logDir, `${name}.log`),
      nodeArgs,
      readyUrl: '/health/ready',
    }));
  }

  startPipeline(name: string, overrides: Record<string, string> = {}): Promise<Child> {
    return this.started(startChild({
      script: join(BUILD_DIR, 'bench', 'children', 'pipeline.js'),
      env: {
        BENCH_DATABASE_URL: this.databaseUrl, BENCH_REDIS_URL: REDIS_URL, BENCH_REDIS_PREFIX: `${this.redisPrefix}:pipeline`,
        BENCH_CONCURRENCY: '10', BENCH_POOL_SIZE: '10', ...overrides,
      },
      logFile: join(this.logDir, `${name}.log`),
    }));
  }

  /** A Bull handle on one of the service's queues, for counts and events only (never processes). */
  serviceQueue(name: QueueName): Bull.Queue {
    return new Bull(name, REDIS_URL, { prefix: `${this.redisPrefix}:bull` });
  }

  async api(base: string, path: string, body: unknown, token: string): Promise<unknown> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return response.json();
  }

  newTenant(): { tenantId: string; token: string } {
    const tenantId = randomUUID();
    return { tenantId, token: this.token(tenantId) };
  }

  /** Stops what is still running, then drops the database and the Redis keys of this run. */
  async cleanUp(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop().catch(() => undefined)));
    await this.pool.end().catch(() => undefined);
    const admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`).finally(() => admin.end());
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.redisPrefix}:*`, 'COUNT', 1000);
      if (keys.length) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    this.redis.disconnect();
  }
}

export { QUEUE_NAMES };
