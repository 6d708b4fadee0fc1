import { Injectable, Logger } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantScope } from '../database/tenant-scope';
import { AlertsService } from '../monitoring/alerts.service';
import { DeadLetterJob } from './dead-letter.entity';

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

// TypeORM's deep-partial type does not accept `unknown` jsonb values; the columns are typed on the entity.
type DeadLetterChanges = QueryDeepPartialEntity<DeadLetterJob>;

export const DEAD_LETTER_ALERT_KIND = 'job.dead_lettered';

/** Writes dead-letter entries and raises their alert. Depends on nothing of the jobs module. */
@Injectable()
export class DeadLetterRecorder {
  private readonly logger = new Logger(DeadLetterRecorder.name);

  constructor(
    private readonly scope: TenantScope,
    private readonly alerts: AlertsService,
  ) {}

  async record(entry: DeadLetterEntry): Promise<void> {
    const id = await this.scope.run(entry.tenantId, async (manager) => {
      const inserted = await manager.insert(DeadLetterJob, { ...entry } as DeadLetterChanges);
      return String(inserted.identifiers[0]?.id);
    });
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
