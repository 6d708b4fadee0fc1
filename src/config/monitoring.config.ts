import * as Joi from 'joi';

/** The monitoring check's thresholds and where alerts go (validated once at start-up). */
export interface MonitoringEnvironment {
  MONITORING_INTERVAL_MS: number;
  MONITORING_QUEUE_DEPTH_MAX: number;
  MONITORING_FAILURE_RATE_MAX: number;
  MONITORING_FAILURE_WINDOW_MINUTES: number;
  MONITORING_FAILURE_MIN_JOBS: number;
  MONITORING_OLDEST_WAITING_MAX_SECONDS: number;
  MONITORING_DLQ_GROWTH_MAX: number;
  MONITORING_STALLED_MAX: number;
  MONITORING_EMERGENCY_STOP_MAX_MINUTES: number;
  MONITORING_COOLDOWN_SECONDS: number;
  ALERT_SMS_TO?: string;
  /** Declared with the providers (ALERT_EMAIL_TO); read here as a comma list. */
  ALERT_EMAIL_TO?: string;
}

const E164_LIST = /^\+[1-9]\d{6,14}(\s*,\s*\+[1-9]\d{6,14})*$/;

export const MONITORING_ENVIRONMENT_SCHEMA = {
  // 0: no repeatable check is registered (the e2e suite runs checks itself).
  MONITORING_INTERVAL_MS: Joi.alternatives().try(Joi.number().valid(0), Joi.number().integer().min(100)).default(60_000),
  MONITORING_QUEUE_DEPTH_MAX: Joi.number().integer().min(1).default(1_000),
  MONITORING_FAILURE_RATE_MAX: Joi.number().greater(0).max(1).default(0.2),
  MONITORING_FAILURE_WINDOW_MINUTES: Joi.number().integer().min(1).max(1_440).default(15),
  // Below this many finished jobs in the window the rate says nothing.
  MONITORING_FAILURE_MIN_JOBS: Joi.number().integer().min(1).default(10),
  MONITORING_OLDEST_WAITING_MAX_SECONDS: Joi.number().integer().min(1).default(600),
  // New dead-letter entries within the failure window.
  MONITORING_DLQ_GROWTH_MAX: Joi.number().integer().min(1).default(10),
  MONITORING_STALLED_MAX: Joi.number().integer().min(1).default(1),
  MONITORING_EMERGENCY_STOP_MAX_MINUTES: Joi.number().integer().min(0).default(30),
  MONITORING_COOLDOWN_SECONDS: Joi.number().integer().min(0).default(900),
  ALERT_SMS_TO: Joi.string().trim().pattern(E164_LIST, 'a comma list of E.164 numbers').optional(),
};

export class MonitoringConfig {
  readonly intervalMs: number;
  readonly queueDepthMax: number;
  readonly failureRateMax: number;
  readonly failureWindowMinutes: number;
  readonly failureMinJobs: number;
  readonly oldestWaitingMaxSeconds: number;
  readonly dlqGrowthMax: number;
  readonly stalledMax: number;
  readonly emergencyStopMaxMinutes: number;
  /** A condition that persists raises no new alert for this long after the last one. */
  readonly cooldownSeconds: number;
  readonly alertSmsTo: string[];
  readonly alertEmailTo: string[];

  constructor(env: MonitoringEnvironment) {
    this.intervalMs = env.MONITORING_INTERVAL_MS;
    this.queueDepthMax = env.MONITORING_QUEUE_DEPTH_MAX;
    this.failureRateMax = env.MONITORING_FAILURE_RATE_MAX;
    this.failureWindowMinutes = env.MONITORING_FAILURE_WINDOW_MINUTES;
    this.failureMinJobs = env.MONITORING_FAILURE_MIN_JOBS;
    this.oldestWaitingMaxSeconds = env.MONITORING_OLDEST_WAITING_MAX_SECONDS;
    this.dlqGrowthMax = env.MONITORING_DLQ_GROWTH_MAX;
    this.stalledMax = env.MONITORING_STALLED_MAX;
    this.emergencyStopMaxMinutes = env.MONITORING_EMERGENCY_STOP_MAX_MINUTES;
    this.cooldownSeconds = env.MONITORING_COOLDOWN_SECONDS;
    this.alertSmsTo = commaList(env.ALERT_SMS_TO);
    this.alertEmailTo = commaList(env.ALERT_EMAIL_TO);
  }
}

export function commaList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}
