import { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

/**
 * The audit trail: one row per operator action (and per personal-data read), append-only.
 *
 * Append-only is enforced twice:
 * - GRANTs: `queue_tenant` and `queue_system` may SELECT and INSERT, nothing else;
 * - a trigger that refuses UPDATE, DELETE and TRUNCATE for everyone, the table's owner and
 *   superusers included (GRANTs and row-level security do not bind those).
 */
export class AuditLog1764201600008 implements MigrationInterface {
  name = 'AuditLog1764201600008';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_log (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id    uuid NOT NULL,
        actor        text NOT NULL,
        roles        text[] NOT NULL,
        action       text NOT NULL,
        target       text,
        request_id   text,
        outcome      text NOT NULL CHECK (outcome IN ('succeeded','refused','failed')),
        status_code  integer,
        details      jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, occurred_at DESC)`);
    await db.query(`CREATE INDEX audit_log_time_idx ON audit_log (occurred_at DESC)`);

    await db.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await db.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);

    await db.query(`ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY`);
    await db.query(`ALTER TABLE audit_log FORCE ROW LEVEL SECURITY`);
    await db.query(`CREATE POLICY system_access ON audit_log TO queue_system USING (true) WITH CHECK (true)`);
    await db.query(
      `CREATE POLICY tenant_isolation ON audit_log TO queue_tenant
         USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
    );
    await db.query(`REVOKE ALL ON audit_log FROM PUBLIC`);
    await db.query(`GRANT SELECT, INSERT ON audit_log TO queue_tenant, queue_system`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_log`);
    await db.query(`DROP FUNCTION audit_log_append_only()`);
  }
}
