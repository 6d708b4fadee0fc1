import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedules managed through the API (the table is in 001): what to do with a tick missed while
 * every process was down, and what the last tick did. `updated_at` is set by the repository.
 */
export class Schedules1764201600007 implements MigrationInterface {
  name = 'Schedules1764201600007';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE schedules
        ADD COLUMN missed_tick_policy text NOT NULL DEFAULT 'run-once' CHECK (missed_tick_policy IN ('run-once','skip')),
        ADD COLUMN last_outcome text CHECK (last_outcome IN ('submitted','completed','failed','skipped')),
        ADD COLUMN last_job_id text`);
    await db.query(`CREATE INDEX schedules_last_job_idx ON schedules (last_job_id) WHERE last_job_id IS NOT NULL`);
    await db.query(`CREATE INDEX schedules_tenant_idx ON schedules (tenant_id, created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX schedules_tenant_idx`);
    await db.query(`DROP INDEX schedules_last_job_idx`);
    await db.query(`ALTER TABLE schedules DROP COLUMN last_job_id, DROP COLUMN last_outcome, DROP COLUMN missed_tick_policy`);
  }
}
