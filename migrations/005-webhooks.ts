import { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const TABLES = ['webhook_endpoints', 'webhook_deliveries'];

/**
 * Outbound webhooks:
 * - `webhook_endpoints`: a tenant's receivers, each with its signing secret and the events it wants.
 * - `webhook_deliveries`: every attempt to deliver an event to an endpoint, failed ones too.
 *   Removing an endpoint removes its history.
 */
export class Webhooks1764201600005 implements MigrationInterface {
  name = 'Webhooks1764201600005';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_endpoints (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id    uuid NOT NULL,
        url          text NOT NULL,
        description  text,
        events       text[] NOT NULL,
        secret       text NOT NULL,
        enabled      boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at)`);

    await db.query(`
      CREATE TABLE webhook_deliveries (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id      uuid NOT NULL,
        endpoint_id    uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        job_id         uuid NOT NULL,
        event          text NOT NULL,
        attempt        integer NOT NULL,
        status         text NOT NULL CHECK (status IN ('succeeded','failed')),
        response_code  integer,
        error          text,
        duration_ms    integer NOT NULL,
        attempted_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, attempted_at DESC)`);

    for (const table of TABLES) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await db.query(`CREATE POLICY system_access ON ${table} TO queue_system USING (true) WITH CHECK (true)`);
      await db.query(
        `CREATE POLICY tenant_isolation ON ${table} TO queue_tenant
           USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
      );
      await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO queue_tenant`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE webhook_deliveries`);
    await db.query(`DROP TABLE webhook_endpoints`);
  }
}
