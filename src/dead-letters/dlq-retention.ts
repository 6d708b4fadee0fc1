import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DLQ_RETENTION_CRON } from '../config/schedules.config';
import { AdvisoryLocks } from '../database/advisory-lock';
import { DeadLetterRepository } from './dead-letter.repository';

/** The default schedule of the retention (DLQ_RETENTION_CRON overrides it). */
export { DLQ_RETENTION_CRON };
const DAY_MS = 24 * 3600 * 1000;

export interface RetentionOutcome {
  /** False when another instance was already cleaning up. */
  ran: boolean;
  removed: number;
}

/**
 * Forgets dead-letter entries older than DLQ_RETENTION_DAYS, every tenant's at once. The
 * `scheduled-task` `dlq-retention`, a repeatable on DLQ_RETENTION_CRON, runs it.
 */
@Injectable()
export class DlqRetention {
  private readonly logger = new Logger(DlqRetention.name);

  constructor(
    private readonly entries: DeadLetterRepository,
    private readonly locks: AdvisoryLocks,
    private readonly config: AppConfig,
  ) {}

  async removeExpired(now = new Date()): Promise<RetentionOutcome> {
    const cutoff = new Date(now.getTime() - this.config.deadLetterRetentionDays * DAY_MS);
    const outcome = await this.locks.runExclusive('dlq-retention', (manager) => this.entries.deleteCreatedBeforeIn(manager, cutoff));
    if (!outcome.ran) return { ran: false, removed: 0 };
    const removed = outcome.value;
    this.logger.log({ removed, cutoff }, 'Removed expired dead-letter entries');
    return { ran: true, removed };
  }
}
