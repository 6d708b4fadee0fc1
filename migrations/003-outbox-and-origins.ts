import { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

/**
 * Follow-up jobs and who asked for a job:
 * - `jobs.origin` says whether a client (`api`), a schedule, the service itself (`system`) or a
 *   parent job (`follow-up`, with `parent_job_id`) submitted it.
 * - `job_outbox` holds the Bull adds owed for jobs whose records committed inside another
 *   transaction (a parent's completion); the relay moves them to Redis and deletes them.
 * - `alert_history.tenant_id` may be NULL: service-wide alerts, seen only by the system role.
 */
export class OutboxAndOrigins1764201600003 implements MigrationInterface {
  name = 'OutboxAndOrigins1764201600003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE jobs
        ADD COLUMN origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('api','schedule','system','follow-up')),
        ADD COLUMN parent_job_id uuid`);
    await db.query(`CREATE INDEX jobs_parent_idx ON jobs (parent_job_id) WHERE parent_job_id IS NOT NULL`);

    await db.query(`
      CREATE TABLE job_outbox (
        job_id      uuid PRIMARY KEY,
        tenant_id   uuid NOT NULL,
        queue       text NOT NULL REFERENCES queues(name),
        type        text NOT NULL,
        envelope    jsonb NOT NULL,
        options     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX job_outbox_age_idx ON job_outbox (created_at)`);
    await db.query(`ALTER TABLE job_outbox ENABLE ROW LEVEL SECURITY`);
    await db.query(`ALTER TABLE job_outbox FORCE ROW LEVEL SECURITY`);
    await db.query(`CREATE POLICY system_access ON job_outbox TO queue_system USING (true) WITH CHECK (true)`);
    await db.query(
      `CREATE POLICY tenant_isolation ON job_outbox TO queue_tenant
         USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
    );
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON job_outbox TO queue_tenant`);

    await db.query(`ALTER TABLE alert_history ALTER COLUMN tenant_id DROP NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM alert_history WHERE tenant_id IS NULL`);
    await db.query(`ALTER TABLE alert_history ALTER COLUMN tenant_id SET NOT NULL`);
    await db.query(`DROP TABLE job_outbox`);
    await db.query(`DROP INDEX jobs_parent_idx`);
    await db.query(`ALTER TABLE jobs DROP COLUMN parent_job_id, DROP COLUMN origin`);
  }
}
