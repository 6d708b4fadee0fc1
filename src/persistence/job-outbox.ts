import { Injectable } from '@nestjs/common';
import type { JobOptions } from 'bull';
import type { EntityManager } from 'typeorm';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import type { QueueName } from '../job-definitions/queue-names';

/** A Bull add owed: the job's record (if any) and idempotency key committed with it. */
export interface OutboxEntry {
  jobId: string;
  tenantId: string;
  queue: QueueName;
  envelope: JobEnvelope;
  options: JobOptions;
}

/**
 * The `job_outbox` table: jobs enqueued inside another transaction (a parent job's completion)
 * wait here until the relay has added them to Redis. Writing the entry in that transaction is
 * what makes the enqueue survive a crash right after the commit.
 */
@Injectable()
export class JobOutbox {
  async insertIn(manager: EntityManager, entries: OutboxEntry[]): Promise<void> {
    if (!entries.length) return;
    const values = entries.flatMap((entry) => [
      entry.jobId, entry.tenantId, entry.queue, entry.envelope.type, JSON.stringify(entry.envelope), JSON.stringify(entry.options),
    ]);
    const rows = entries.map((_, index) => `($${index * 6 + 1}, $${index * 6 + 2}, $${index * 6 + 3}, $${index * 6 + 4}, $${index * 6 + 5}, $${index * 6 + 6})`);
    // A re-run of the parent plans the same ids; the first entry stands.
    await manager.query(
      `INSERT INTO job_outbox (job_id, tenant_id, queue, type, envelope, options) VALUES ${rows.join(', ')}
       ON CONFLICT (job_id) DO NOTHING`,
      values,
    );
  }

  /**
   * Takes the oldest entries out of the outbox, oldest first, in one statement: deleted in this
   * transaction, so they are back if it rolls back (the relay adds them to Redis before it
   * commits). Entries another relay's transaction holds are skipped.
   */
  async takeIn(manager: EntityManager, limit: number): Promise<OutboxEntry[]> {
    const [rows]: [{ job_id: string; tenant_id: string; queue: QueueName; envelope: JobEnvelope; options: JobOptions; created_at: Date }[], number] =
      await manager.query(
        `DELETE FROM job_outbox WHERE job_id IN (
           SELECT job_id FROM job_outbox ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING job_id, tenant_id, queue, envelope, options, created_at`,
        [limit],
      );
    return rows
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime())
      .map((row) => ({ jobId: row.job_id, tenantId: row.tenant_id, queue: row.queue, envelope: row.envelope, options: row.options }));
  }
}
