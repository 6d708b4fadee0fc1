import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monitoring alerts in `alert_history`:
 * - `condition_key` names the condition a monitoring alert reports (e.g. `queue_depth:money`);
 *   at most one open (unresolved) alert per key, so two processes checking at once raise one.
 * - `last_seen_at`: the last check that found the condition still true.
 * - `resolved_at`: the first check that found it cleared.
 * The table's row-level security (migrations 001 and 003) covers the new columns as it is.
 */
export class AlertConditions1764201600006 implements MigrationInterface {
  name = 'AlertConditions1764201600006';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE alert_history
        ADD COLUMN condition_key text,
        ADD COLUMN last_seen_at timestamptz,
        ADD COLUMN resolved_at timestamptz`);
    await db.query(`
      CREATE UNIQUE INDEX alert_history_open_condition_idx ON alert_history (condition_key)
        WHERE condition_key IS NOT NULL AND resolved_at IS NULL`);
    await db.query(`CREATE INDEX alert_history_condition_time_idx ON alert_history (condition_key, created_at DESC) WHERE condition_key IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS alert_history_condition_time_idx`);
    await db.query(`DROP INDEX IF EXISTS alert_history_open_condition_idx`);
    await db.query(`ALTER TABLE alert_history DROP COLUMN resolved_at, DROP COLUMN last_seen_at, DROP COLUMN condition_key`);
  }
}
