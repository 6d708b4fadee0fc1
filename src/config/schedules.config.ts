import { CronExpression } from '@nestjs/schedule';
import { validateCronExpression } from 'cron';

/** Hourly: expired idempotency keys are removed (they stop holding their job at once anyway). */
export const IDEMPOTENCY_CLEANUP_CRON: string = CronExpression.EVERY_HOUR;
/** Daily at 03:15 server time, away from the top of the hour when other jobs pile up. */
export const DLQ_RETENTION_CRON = '15 3 * * *';

/** Turns a housekeeping schedule off (its repeatable is removed): for tests that wait on an idle queue. */
export const SCHEDULE_OFF = 'off';

/** When the service's own housekeeping runs (cron expressions, seconds field optional), or `off`. */
export interface Schedules {
  idempotencyCleanup: string;
  dlqRetention: string;
}

/** Joi custom rule: a cron expression the scheduler accepts, or `off` (Joi reports what this throws). */
export function cronExpression(value: string): string {
  if (value === SCHEDULE_OFF) return value;
  const { valid, error } = validateCronExpression(value);
  if (!valid) throw new Error(`not a cron expression (${error?.message ?? 'invalid'})`);
  return value;
}
