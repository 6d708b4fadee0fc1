import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops `critical_jobs_tenant_idx (tenant_id, recorded_at)`. No statement reads the effect
 * journal by tenant: it is read and written by job id, through `(job_id, step)`. The index cost a
 * write per journal step, and, like those migration 009 took away, it let the tenant's
 * row-level-security condition alone drive a scan: a re-claim's read of its earlier attempts was
 * planned through it (all the tenant's journal) when the statistics put the tenant at one row.
 */
export class JournalWithoutTenantIndex1764201600010 implements MigrationInterface {
  name = 'JournalWithoutTenantIndex1764201600010';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX critical_jobs_tenant_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX critical_jobs_tenant_idx ON critical_jobs (tenant_id, recorded_at DESC)`);
  }
}
