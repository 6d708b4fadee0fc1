import type { JobType } from '../job-definitions/job-types';
import { AuthConfig } from './auth.config';
import { MonitoringConfig } from './monitoring.config';
import { ObservabilityConfig } from './observability.config';
import { ProvidersConfig } from './providers.config';
import { QuotaConfig } from './quotas.config';
import { RateLimitConfig } from './rate-limits.config';
import { AppRole, Environment, LogFormat, NodeEnv } from './environment';
import { resolveRetryStrategies, RetryStrategy } from './retry-strategies.config';
import type { Schedules } from './schedules.config';
import { DlqExportLimits, exportSlotsOf } from './database-sessions.config';
import { ClusterNode, clusterNodes, workerConcurrency } from './scale-out.config';
import type { QueueName } from '../job-definitions/queue-names';

/** Typed, validated configuration: the one object the rest of the service reads. */
export class AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
  readonly appRole: AppRole;
  readonly port: number;
  readonly logLevel: Environment['LOG_LEVEL'];
  readonly logFormat: LogFormat;
  readonly swaggerEnabled: boolean;
  /** Where clients reach the API; the OpenAPI document's server. */
  readonly publicUrl: string;
  /** The pool, and the limits every pooled session runs under (statement_timeout, idle_in_transaction_session_timeout). */
  readonly database: { url: string; poolSize: number; statementTimeoutMs: number; idleInTransactionTimeoutMs: number };
  /** Streamed DLQ exports: the idle cut-off and how many may hold a pooled connection at once. */
  readonly dlqExport: DlqExportLimits;
  /** `clusterNodes`: a Redis Cluster's seed nodes (REDIS_URL then gives only credentials and TLS). */
  readonly redis: { url: string; prefix: string; clusterNodes?: ClusterNode[] };
  readonly auth: AuthConfig;
  readonly bull: { lockDurationMs: number; stalledIntervalMs: number };
  /** Jobs one worker process runs at once, per queue. */
  readonly workerConcurrency: Record<QueueName, number>;
  readonly retryStrategies: Record<JobType, RetryStrategy>;
  readonly idempotencyTtlMs: number;
  /** How long a worker's claim on a persisted job lasts without renewal. */
  readonly jobLeaseMs: number;
  readonly recovery: { intervalMs: number; graceMs: number };
  readonly outboxRelayIntervalMs: number;
  readonly requireNoEviction: boolean;
  readonly deadLetterRetentionDays: number;
  readonly schedules: Schedules;
  /** How long queue lists and statuses are cached (0: not cached). */
  readonly queueStatusCacheMs: number;
  readonly rateLimits: RateLimitConfig;
  /** Bytes of request bodies one process works on at once; more is refused with 503 (load shedding). */
  readonly requestBytesInFlightMax: number;
  /** Credentials and modes (live, sandbox, disabled) of Stripe, e-mail, SMS and Solana. */
  readonly providers: ProvidersConfig;
  /** Scrape access, queue sampling, snapshots and health check timeouts. */
  readonly observability: ObservabilityConfig;
  /** The monitoring check's thresholds, cooldown and the SMS alert numbers. */
  readonly monitoring: MonitoringConfig;
  /** Per-tenant limits on unfinished jobs and their Redis bytes. */
  readonly quotas: QuotaConfig;
  /** How long a queue dashboard session (its cookie) lasts. */
  readonly dashboardSessionTtlSeconds: number;

  constructor(env: Environment) {
    this.nodeEnv = env.NODE_ENV;
    this.isProduction = env.NODE_ENV === 'production';
    this.appRole = env.APP_ROLE;
    this.port = env.PORT;
    this.logLevel = env.LOG_LEVEL;
    this.logFormat = env.LOG_FORMAT;
    this.swaggerEnabled = env.SWAGGER_ENABLED;
    this.publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
    this.database = {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: env.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    };
    this.dlqExport = exportSlotsOf(env);
    this.redis = { url: env.REDIS_URL, prefix: env.REDIS_PREFIX, clusterNodes: clusterNodes(env) };
    this.auth = new AuthConfig(env);
    this.bull = {
      lockDurationMs: env.QUEUE_LOCK_DURATION_MS,
      stalledIntervalMs: env.QUEUE_STALLED_INTERVAL_MS,
    };
    this.workerConcurrency = workerConcurrency(env);
    this.retryStrategies = resolveRetryStrategies(env.RETRY_STRATEGIES);
    this.idempotencyTtlMs = env.IDEMPOTENCY_TTL_HOURS * 3600 * 1000;
    this.jobLeaseMs = env.JOB_LEASE_MS ?? env.QUEUE_LOCK_DURATION_MS;
    this.recovery = { intervalMs: env.RECOVERY_INTERVAL_MS, graceMs: env.RECOVERY_GRACE_MS };
    this.outboxRelayIntervalMs = env.OUTBOX_RELAY_INTERVAL_MS;
    this.requireNoEviction = env.REDIS_REQUIRE_NOEVICTION;
    this.deadLetterRetentionDays = env.DLQ_RETENTION_DAYS;
    this.schedules = { idempotencyCleanup: env.IDEMPOTENCY_CLEANUP_CRON, dlqRetention: env.DLQ_RETENTION_CRON };
    this.queueStatusCacheMs = env.QUEUE_STATUS_CACHE_MS;
    this.rateLimits = new RateLimitConfig(env);
    this.requestBytesInFlightMax = env.REQUEST_BYTES_IN_FLIGHT_MAX;
    this.providers = new ProvidersConfig(env);
    this.observability = new ObservabilityConfig(env);
    this.monitoring = new MonitoringConfig(env);
    this.quotas = new QuotaConfig(env);
    this.dashboardSessionTtlSeconds = env.DASHBOARD_SESSION_TTL_SECONDS;
  }

  get runsWorkers(): boolean {
    return this.appRole !== 'api';
  }

  get servesApi(): boolean {
    return this.appRole !== 'worker';
  }
}
