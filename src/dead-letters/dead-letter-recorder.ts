import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlertsService } from '../monitoring/alerts.service';
import { DeadLetterRepository } from './dead-letter.repository';

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
   * `alsoIn` writes inside the entry's transaction (the `operation.failed` webhook): both commit,
   * or neither does. It gets the new entry's id.
   */
  async record(entry: DeadLetterEntry, alsoIn?: (manager: EntityManager, deadLetterId: string) => Promise<unknown>): Promise<void> {
    const id = await this.entries.add(entry, alsoIn);
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
  }
}
