import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { AdvisoryLocks } from '../database/advisory-lock';
import { DeadLetterRepository } from './dead-letter.repository';

/** Daily at 03:15 server time, away from the top of the hour when other jobs pile up. */
export const DLQ_RETENTION_CRON = '15 3 * * *';
const DAY_MS = 24 * 3600 * 1000;

export interface RetentionOutcome {
  /** False when another instance was already cleaning up. */
  ran: boolean;
  removed: number;
}

/** Forgets dead-letter entries older than DLQ_RETENTION_DAYS, every tenant's at once. */
@Injectable()
export class DlqRetention {
  private readonly logger = new Logger(DlqRetention.name);

  constructor(
    private readonly entries: DeadLetterRepository,
    private readonly locks: AdvisoryLocks,
    private readonly config: AppConfig,
  ) {}

  @Cron(DLQ_RETENTION_CRON, { name: 'dlq-retention' })
  async onSchedule(): Promise<void> {
    try {
      await this.removeExpired();
    } catch (error) {
      this.logger.error({ err: error }, 'Dead-letter retention failed; the next run will try again');
    }
  }

  async removeExpired(now = new Date()): Promise<RetentionOutcome> {
    const cutoff = new Date(now.getTime() - this.config.deadLetterRetentionDays * DAY_MS);
    const outcome = await this.locks.runExclusive('dlq-retention', (manager) => this.entries.deleteCreatedBeforeIn(manager, cutoff));
    if (!outcome.ran) return { ran: false, removed: 0 };
    const removed = outcome.value;
    this.logger.log({ removed, cutoff }, 'Removed expired dead-letter entries');
    return { ran: true, removed };
  }
}
