import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantScope } from '../database/tenant-scope';
import { StaleAttemptError } from '../job-definitions/job-errors';
import { GroupCommit, GroupOutcome } from '../database/group-commit';
import type { AttemptRef } from './job-attempts';

/**
 * The effect journal of money and NFT jobs (`critical_jobs`): each external step, recorded
 * once it is done, so that a re-run resumes after it instead of repeating it. A step is
 * recorded only while the attempt's fence still holds.
 */
@Injectable()
export class EffectJournal {
  /** A step of a job at most once per statement: ON CONFLICT cannot meet one row twice. */
  private readonly writes = new GroupCommit<string, StepWrite, void>(
    (tenantId, batch) => this.recordAll(tenantId, batch),
    { maxPerStatement: 100, distinctBy: (write) => stepKey(write.ref.jobId, write.step) },
  );

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

  /**
   * Records a step once it is done, while the attempt's fence holds; StaleAttemptError once it
   * does not. Grouped (`GroupCommit`): the steps a tenant's jobs record while that tenant's
   * previous journal statement runs go together in the next, one multi-row INSERT.
   */
  record(ref: AttemptRef, step: string, details: object): Promise<void> {
    return this.writes.submit(ref.tenantId, ref.tenantId, { ref, step, details });
  }

  /**
   * One multi-row INSERT in one round trip. A step it did not insert was recorded before under
   * this fence (a repeated step) or its fence moved on: the fences are read after the insert's
   * commit, which can only find a fence moved further, never one moved back.
   */
  private async recordAll(tenantId: string, batch: StepWrite[]): Promise<GroupOutcome<void>[]> {
    const { rows: inserted } = await this.scope.statement<{ job_id: string; step: string }>(
      tenantId,
      `INSERT INTO critical_jobs (tenant_id, job_id, step, details, fence)
       SELECT $1, done.job_id, done.step, done.details, done.fence
         FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::bigint[]) AS done(job_id, step, details, fence)
        WHERE EXISTS (SELECT 1 FROM jobs WHERE id = done.job_id AND fence = done.fence)
       ON CONFLICT (job_id, step) DO NOTHING
       RETURNING job_id, step`,
      [
        tenantId,
        batch.map((write) => write.ref.jobId),
        batch.map((write) => write.step),
        batch.map((write) => JSON.stringify(write.details)),
        batch.map((write) => write.ref.fence),
      ],
    );
    const written = new Set(inserted.map((row) => stepKey(row.job_id, row.step)));
    const others = batch.filter((write) => !written.has(stepKey(write.ref.jobId, write.step)));
    const fences: Array<{ id: string; fence: string }> = others.length
      ? (await this.scope.statement<{ id: string; fence: string }>(tenantId, `SELECT id, fence FROM jobs WHERE id = ANY($1::uuid[])`, [others.map((write) => write.ref.jobId)])).rows
      : [];
    const fenceOf = new Map(fences.map((row) => [row.id, Number(row.fence)]));
    return batch.map((write): GroupOutcome<void> =>
      written.has(stepKey(write.ref.jobId, write.step)) || fenceOf.get(write.ref.jobId) === write.ref.fence
        ? { ok: undefined }
        : { error: new StaleAttemptError(write.ref.jobId) });
  }
}

interface StepWrite {
  ref: AttemptRef;
  step: string;
  details: object;
}

function stepKey(jobId: string, step: string): string {
  return `${jobId}\u0000${step}`;
}
