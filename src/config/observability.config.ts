import * as Joi from 'joi';
import { cronExpression } from './schedules.config';

/** Who may scrape `GET /metrics`, how queues are sampled, and how long health checks may take. */
export interface ObservabilityEnvironment {
  METRICS_TOKEN?: string;
  METRICS_PORT?: number;
  METRICS_SAMPLE_INTERVAL_MS: number;
  QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: number;
  QUEUE_METRICS_RETENTION_DAYS: number;
  QUEUE_METRICS_RETENTION_CRON: string;
  HEALTH_CHECK_TIMEOUT_MS: number;
}

export const OBSERVABILITY_ENVIRONMENT_SCHEMA = {
  // A bearer token scrapers send; compared in constant time, never logged.
  METRICS_TOKEN: Joi.string().min(16).max(512).pattern(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  METRICS_PORT: Joi.number().integer().min(0).max(65535).optional(),
  METRICS_SAMPLE_INTERVAL_MS: Joi.number().integer().min(100).default(5_000),
  // 0 turns the snapshot and retention repeatables off (the e2e suite does, but for its own test).
  QUEUE_METRICS_SNAPSHOT_INTERVAL_MS: Joi.alternatives()
    .try(Joi.number().valid(0), Joi.number().integer().min(100))
    .default(60_000),
  QUEUE_METRICS_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),
  // Daily at 03:45, after DLQ retention (03:15).
  QUEUE_METRICS_RETENTION_CRON: Joi.string().custom(cronExpression).default('45 3 * * *'),
  HEALTH_CHECK_TIMEOUT_MS: Joi.number().integer().min(50).max(30_000).default(2_000),
};

/**
 * How `/metrics` is exposed:
 * - `open` on the API port (the default: the exposition carries no ids, secrets or payload values);
 * - `token`: the API port's `/metrics` wants `Authorization: Bearer <METRICS_TOKEN>`;
 * - `port`: `/metrics` is served open on METRICS_PORT only (a port the scraper reaches and clients do not).
 */
export type ScrapeAccess = 'open' | 'token' | 'port';

export class ObservabilityConfig {
  readonly scrapeAccess: ScrapeAccess;
  readonly metricsToken?: string;
  readonly metricsPort?: number;
  readonly sampleIntervalMs: number;
  readonly snapshotIntervalMs: number;
  readonly snapshotRetentionDays: number;
  readonly snapshotRetentionCron: string;
  readonly healthCheckTimeoutMs: number;

  constructor(env: ObservabilityEnvironment) {
    this.metricsToken = env.METRICS_TOKEN;
    this.metricsPort = env.METRICS_PORT;
    this.scrapeAccess = env.METRICS_PORT !== undefined ? 'port' : env.METRICS_TOKEN ? 'token' : 'open';
    this.sampleIntervalMs = env.METRICS_SAMPLE_INTERVAL_MS;
    this.snapshotIntervalMs = env.QUEUE_METRICS_SNAPSHOT_INTERVAL_MS;
    this.snapshotRetentionDays = env.QUEUE_METRICS_RETENTION_DAYS;
    this.snapshotRetentionCron = env.QUEUE_METRICS_RETENTION_CRON;
    this.healthCheckTimeoutMs = env.HEALTH_CHECK_TIMEOUT_MS;
  }

  /** Never the token itself: safe to log. */
  toJSON(): object {
    return { scrapeAccess: this.scrapeAccess, metricsPort: this.metricsPort, sampleIntervalMs: this.sampleIntervalMs };
  }
}
