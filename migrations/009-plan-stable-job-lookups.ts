import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keeps the look-ups of jobs by id and of idempotency keys by key on their primary keys, whatever
 * ANALYZE last saw.
 *
 * Row-level security adds `tenant_id = <the transaction's tenant>` to every statement, and the
 * planner reads that tenant's share from the statistics. A tenant newer than the last ANALYZE
 * (or one in the middle of an on-sale) is not in them and is estimated at about one row; a queue
 * table's unfinished jobs are likewise estimated at the few ANALYZE happened to see. With an
 * index that either estimate can drive, the worker's multi-row claim, completion and journal
 * statements, which name their jobs by id and their keys by key, were planned as a scan of all
 * the tenant's rows (or of every unfinished job) hashed against the ids: one scan of the whole
 * backlog per statement of ten jobs. In the bench's HTTP lifecycle after an ANALYZE that was
 * 7.9–9.9 ms of PostgreSQL CPU per payment; with the two `jobs` index changes below, 2.9–3.1 ms
 * (measured before the keys' primary key was reordered too).
 *
 * So no index may be entered by those estimates alone:
 * - the tenant listing index leads with the queue (every listing names its queue), so the
 *   tenant's row-level-security condition alone can no longer drive a scan;
 * - the idempotency keys' primary key leads with the key (every statement names its keys; the
 *   tenant's expired keys are found through `idempotency_keys_expiry_idx`);
 * - the recovery sweep's index of unfinished jobs also requires `updated_at IS NOT NULL`. It is
 *   always true (the column is NOT NULL), and only a statement that filters on `updated_at`, as
 *   the sweep does, implies it: a claim or completion, which names only the status, cannot be
 *   planned through this index.
 */
export class PlanStableJobLookups1764201600009 implements MigrationInterface {
  name = 'PlanStableJobLookups1764201600009';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX jobs_queue_tenant_status_idx ON jobs (queue, tenant_id, status, created_at DESC)`);
    await db.query(`DROP INDEX jobs_tenant_queue_status_idx`);
    await db.query(
      `CREATE INDEX jobs_recovery_idx ON jobs (updated_at) WHERE status IN ('waiting','delayed','active') AND updated_at IS NOT NULL`,
    );
    await db.query(`DROP INDEX jobs_unfinished_idx`);
    await db.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey, ADD PRIMARY KEY (key, tenant_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey, ADD PRIMARY KEY (tenant_id, key)`);
    await db.query(`CREATE INDEX jobs_unfinished_idx ON jobs (updated_at) WHERE status IN ('waiting','delayed','active')`);
    await db.query(`DROP INDEX jobs_recovery_idx`);
    await db.query(`CREATE INDEX jobs_tenant_queue_status_idx ON jobs (tenant_id, queue, status, created_at DESC)`);
    await db.query(`DROP INDEX jobs_queue_tenant_status_idx`);
  }
}
