import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlertsService } from '../monitoring/alerts.service';
import { isDatabaseUnavailable } from '../common/errors/unavailable-errors';
import { AddedDeadLetter, DeadLetterRepository } from './dead-letter.repository';
import { storableDeadLetter } from './storable-dead-letter';

/** What the JobRunner knows of a job that has failed for good. */
export interface DeadLetterEntry {
  tenantId: string;
  jobId: string;
  queue: string;
  type: string;
  data: Record<string, unknown>;
  idempotencyKey: string | null;
  errorType: string;
  errorMessage: string;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

export const DEAD_LETTER_ALERT_KIND = 'job.dead_lettered';

/** Writes dead-letter entries and raises their alert. Depends on nothing of the jobs module. */
@Injectable()
export class DeadLetterRecorder {
  private readonly logger = new Logger(DeadLetterRecorder.name);

  constructor(
    private readonly entries: DeadLetterRepository,
    private readonly alerts: AlertsService,
  ) {}

  /**
   * The entry always lands unless the database is down. What it stores is made storable first
   * (storableDeadLetter: no NUL, bounded sizes); if PostgreSQL still refuses the row for its
   * content, an entry without the job's data takes its place. `alsoIn` (the `operation.failed`
   * webhook) writes in the entry's transaction behind a savepoint: if it fails, it alone is rolled
   * back and logged, and the entry commits. It gets the new entry's id. Answers that id.
   */
  async record(entry: DeadLetterEntry, alsoIn?: (manager: EntityManager, deadLetterId: string) => Promise<unknown>): Promise<string> {
    const stored = storableDeadLetter(entry);
    let added: AddedDeadLetter;
    try {
      added = await this.entries.add(stored, alsoIn);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      this.logger.error({ err: error, tenantId: entry.tenantId, jobId: entry.jobId }, "The dead-letter entry was refused; storing it without the job's data");
      added = await this.entries.add({ ...stored, data: { unstorable: true, reason: 'refused_by_database' } }, alsoIn);
    }
    const id = added.id;
    if (added.followUpError !== undefined) {
      this.logger.error(
        { err: added.followUpError, tenantId: entry.tenantId, jobId: entry.jobId, deadLetterId: id },
        "Could not write the dead-letter entry's follow-up (operation.failed webhook); the entry is stored",
      );
    }
    try {
      await this.alerts.raise({
        tenantId: entry.tenantId,
        severity: 'warning',
        kind: DEAD_LETTER_ALERT_KIND,
        queue: entry.queue,
        message: `Job ${entry.jobId} (${entry.type}) failed for good after ${entry.attempts} attempt(s): ${entry.errorType}`,
        details: {
          deadLetterId: id,
          queue: entry.queue,
          type: entry.type,
          jobId: entry.jobId,
          errorType: entry.errorType,
          attempts: entry.attempts,
        },
      });
    } catch (error) {
      // The entry is the fact that matters and it is stored; a lost alert must not undo it.
      this.logger.error({ err: error, tenantId: entry.tenantId, jobId: entry.jobId }, 'Could not raise the dead-letter alert');
    }
    return id;
  }
}
