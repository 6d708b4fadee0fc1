import * as Joi from 'joi';
import {
  PROVIDER_ENVIRONMENT_SCHEMA, ProviderEnvironment, providerProblems, splitProviderList,
} from './providers.config';
import { OBSERVABILITY_ENVIRONMENT_SCHEMA, ObservabilityEnvironment } from './observability.config';
import { MONITORING_ENVIRONMENT_SCHEMA, MonitoringEnvironment } from './monitoring.config';
import {
  DATABASE_SESSIONS_ENVIRONMENT_SCHEMA, DatabaseSessionsEnvironment, databaseSessionProblems,
} from './database-sessions.config';
import { SCALE_OUT_ENVIRONMENT_SCHEMA, ScaleOutEnvironment } from './scale-out.config';
import { QUOTA_ENVIRONMENT_SCHEMA, QuotaEnvironment } from './quotas.config';
import { cronExpression, DLQ_RETENTION_CRON, IDEMPOTENCY_CLEANUP_CRON } from './schedules.config';
import { withSecretFiles } from './secret-files';
import { AUTH_ENVIRONMENT_SCHEMA, AuthEnvironment, authProblems } from './auth.config';

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** The environment after validation: every value typed and defaulted. */
export interface Environment
  extends ProviderEnvironment, ObservabilityEnvironment, MonitoringEnvironment, DatabaseSessionsEnvironment, AuthEnvironment,
    ScaleOutEnvironment, QuotaEnvironment {
  NODE_ENV: NodeEnv;
  APP_ROLE: AppRole;
  PORT: number;
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  LOG_FORMAT: LogFormat;
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  QUEUE_LOCK_DURATION_MS: number;
  QUEUE_STALLED_INTERVAL_MS: number;
  SWAGGER_ENABLED: boolean;
  PUBLIC_URL?: string;
  RETRY_STRATEGIES?: string;
  IDEMPOTENCY_TTL_HOURS: number;
  JOB_LEASE_MS?: number;
  RECOVERY_INTERVAL_MS: number;
  RECOVERY_GRACE_MS: number;
  OUTBOX_RELAY_INTERVAL_MS: number;
  REDIS_REQUIRE_NOEVICTION: boolean;
  DLQ_RETENTION_DAYS: number;
  IDEMPOTENCY_CLEANUP_CRON: string;
  DLQ_RETENTION_CRON: string;
  BREAKER_ERROR_THRESHOLD_PERCENT: number;
  BREAKER_VOLUME_THRESHOLD: number;
  BREAKER_RESET_TIMEOUT_MS: number;
  EMERGENCY_STOP_POLL_MS: number;
  EMERGENCY_STOP_ACK_TIMEOUT_MS: number;
  API_RATE_LIMIT_WINDOW_SECONDS: number;
  API_RATE_LIMIT_DEFAULT: number;
  API_RATE_LIMIT_JOBS_SUBMIT: number;
  API_RATE_LIMIT_ADMIN: number;
  API_RATE_LIMIT_REFUSED: number;
  API_RATE_LIMIT_OVERRIDE_CACHE_MS: number;
  QUEUE_STATUS_CACHE_MS: number;
  REQUEST_BYTES_IN_FLIGHT_MAX: number;
  DASHBOARD_SESSION_TTL_SECONDS: number;
}

/** `auto`: readable lines in a development terminal, JSON everywhere else. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const count = (fallback: number) => Joi.number().integer().min(1).default(fallback);

const schema = Joi.object<Environment>({
  NODE_ENV: Joi.string()
    .valid(...NODE_ENVS)
    .default('development'),
  APP_ROLE: Joi.string()
    .valid(...APP_ROLES)
    .default('all'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  LOG_LEVEL: Joi.string()
    .valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')
    .default('info'),
  LOG_FORMAT: Joi.string()
    .valid(...LOG_FORMATS)
    .default('auto'),
  DATABASE_URL: Joi.string()
    .uri({ scheme: ['postgres', 'postgresql'] })
    .default('postgres://postgres@127.0.0.1:5432/queue_service'),
  DATABASE_POOL_SIZE: Joi.number().integer().min(1).max(200).default(10),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: Joi.string()
    .pattern(/^[A-Za-z0-9_.:-]+$/)
    .max(64)
    .default('queue-service'),
  ...AUTH_ENVIRONMENT_SCHEMA,
  QUEUE_LOCK_DURATION_MS: Joi.number().integer().min(100).default(30_000),
  QUEUE_STALLED_INTERVAL_MS: Joi.number().integer().min(50).default(30_000),
  SWAGGER_ENABLED: Joi.boolean().default(true),
  // The base URL clients reach the API at; the OpenAPI document's server.
  PUBLIC_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .pattern(/^[^?#]*[^/?#]$/, 'a base URL without query, fragment or trailing slash')
    .optional(),
  RETRY_STRATEGIES: Joi.string().optional(),
  IDEMPOTENCY_TTL_HOURS: Joi.number().integer().min(1).max(24 * 90).default(24),
  JOB_LEASE_MS: Joi.number().integer().min(200).optional(),
  RECOVERY_INTERVAL_MS: Joi.number().integer().min(100).default(30_000),
  RECOVERY_GRACE_MS: Joi.number().integer().min(0).default(10_000),
  // The relay runs right after each commit that leaves entries; this sweep catches what a crash left.
  OUTBOX_RELAY_INTERVAL_MS: Joi.number().integer().min(100).default(2_000),
  REDIS_REQUIRE_NOEVICTION: Joi.boolean().default(true),
  DLQ_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),
  IDEMPOTENCY_CLEANUP_CRON: Joi.string().custom(cronExpression).default(IDEMPOTENCY_CLEANUP_CRON),
  DLQ_RETENTION_CRON: Joi.string().custom(cronExpression).default(DLQ_RETENTION_CRON),
  // API limits are per caller and route group. Generous: a client polling a job every 25 ms stays well inside.
  BREAKER_ERROR_THRESHOLD_PERCENT: Joi.number().min(1).max(100).default(50),
  BREAKER_VOLUME_THRESHOLD: count(10),
  BREAKER_RESET_TIMEOUT_MS: Joi.number().integer().min(10).default(30_000),
  EMERGENCY_STOP_POLL_MS: Joi.number().integer().min(50).default(5_000),
  // How long POST /rate-limits/emergency-stop waits for every worker process to confirm it paused.
  EMERGENCY_STOP_ACK_TIMEOUT_MS: Joi.number().integer().min(0).max(60_000).default(5_000),
  API_RATE_LIMIT_WINDOW_SECONDS: count(60),
  API_RATE_LIMIT_DEFAULT: count(6_000),
  API_RATE_LIMIT_JOBS_SUBMIT: count(3_000),
  API_RATE_LIMIT_ADMIN: count(1_200),
  // Refused requests (401, 403) per client IP and window, whoever they claim to be.
  API_RATE_LIMIT_REFUSED: count(600),
  API_RATE_LIMIT_OVERRIDE_CACHE_MS: Joi.number().integer().min(0).default(30_000),
  // Counts move with every job: short, and pause, resume and clear invalidate at once.
  QUEUE_STATUS_CACHE_MS: Joi.number().integer().min(0).max(60_000).default(2_000),
  // Bytes of request bodies being processed at once in one process; past it, 503 and Retry-After.
  REQUEST_BYTES_IN_FLIGHT_MAX: Joi.number().integer().min(1_024).default(16 * 1024 * 1024),
  // The queue dashboard's cookie: short, since it cannot be revoked before it lapses.
  DASHBOARD_SESSION_TTL_SECONDS: Joi.number().integer().min(30).max(3600).default(300),
  ...PROVIDER_ENVIRONMENT_SCHEMA,
  ...OBSERVABILITY_ENVIRONMENT_SCHEMA,
  ...MONITORING_ENVIRONMENT_SCHEMA,
  ...DATABASE_SESSIONS_ENVIRONMENT_SCHEMA,
  ...SCALE_OUT_ENVIRONMENT_SCHEMA,
  ...QUOTA_ENVIRONMENT_SCHEMA,
});

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Validates the raw environment once; every bad variable is named in one error. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const { env, problems: fileProblems } = withSecretFiles(splitProviderList(raw));
  const { value, error } = schema.validate(env, {
    abortEarly: false,
    allowUnknown: true,
    stripUnknown: true,
    convert: true,
    // Joi's pattern messages quote the offending value; a secret must never reach a log line.
    messages: {
      'string.pattern.base': '{{#label}} does not have the expected form',
      'string.pattern.name': '{{#label}} must be {{#name}}',
    },
  });
  const problems = [
    ...fileProblems,
    ...(error?.details ?? []).map((detail) => `${detail.path.join('.')}: ${detail.message.replace(/"/g, '')}`),
  ];
  if (!error) problems.push(...providerProblems(value), ...databaseSessionProblems(value), ...authProblems(value));
  if (problems.length) throw new InvalidEnvironmentError(problems);
  return value;
}
