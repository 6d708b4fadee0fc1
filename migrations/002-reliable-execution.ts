import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leases with a fencing counter on `jobs` (a worker runs a persisted job only while it holds
 * the newest claim), the first failure time for the dead-letter record, and the idempotency
 * table as the one authority on keys: a key may be reused once its entry has expired, so the
 * unique index on jobs goes.
 */
export class ReliableExecution1764201600002 implements MigrationInterface {
  name = 'ReliableExecution1764201600002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE jobs
        ADD COLUMN fence bigint NOT NULL DEFAULT 0,
        ADD COLUMN lease_owner text,
        ADD COLUMN lease_expires_at timestamptz,
        ADD COLUMN first_failed_at timestamptz`);
    await db.query(`DROP INDEX jobs_tenant_idempotency_key_idx`);
    await db.query(`CREATE INDEX jobs_tenant_idempotency_key_idx ON jobs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await db.query(`ALTER TABLE critical_jobs ADD COLUMN fence bigint NOT NULL DEFAULT 0`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE critical_jobs DROP COLUMN fence`);
    await db.query(`DROP INDEX jobs_tenant_idempotency_key_idx`);
    await db.query(`CREATE UNIQUE INDEX jobs_tenant_idempotency_key_idx ON jobs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await db.query(`
      ALTER TABLE jobs
        DROP COLUMN first_failed_at,
        DROP COLUMN lease_expires_at,
        DROP COLUMN lease_owner,
        DROP COLUMN fence`);
  }
}
