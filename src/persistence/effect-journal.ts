import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantScope } from '../database/tenant-scope';
import { StaleAttemptError } from '../job-definitions/job-errors';
import type { AttemptRef } from './job-attempts';

/**
 * The effect journal of money and NFT jobs (`critical_jobs`): each external step, recorded
 * once it is done, so that a re-run resumes after it instead of repeating it. A step is
 * recorded only while the attempt's fence still holds.
 */
@Injectable()
export class EffectJournal {
  constructor(private readonly scope: TenantScope) {}

  /** The recorded steps of each job, read in the caller's tenant transaction (the runner's claims). */
  async stepsIn(manager: EntityManager, jobIds: string[]): Promise<Map<string, Map<string, object>>> {
    const rows: { job_id: string; step: string; details: object }[] = await manager.query(
      `SELECT job_id, step, details FROM critical_jobs WHERE job_id = ANY($1::uuid[])`,
      [jobIds],
    );
    const steps = new Map(jobIds.map((id) => [id, new Map<string, object>()]));
    for (const row of rows) steps.get(row.job_id)?.set(row.step, row.details);
    return steps;
  }

  async record(ref: AttemptRef, step: string, details: object): Promise<void> {
    await this.scope.run(ref.tenantId, async (manager) => {
      const inserted = await manager.query(
        `INSERT INTO critical_jobs (tenant_id, job_id, step, details, fence)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $2 AND fence = $5)
         ON CONFLICT (job_id, step) DO NOTHING
         RETURNING id`,
        [ref.tenantId, ref.jobId, step, JSON.stringify(details), ref.fence],
      );
      if (inserted.length === 0) {
        const [{ current }] = await manager.query(`SELECT fence AS current FROM jobs WHERE id = $1`, [ref.jobId]);
        if (Number(current) !== ref.fence) throw new StaleAttemptError(ref.jobId);
      }
    });
  }
}
