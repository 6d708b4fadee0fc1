import { MigrationInterface, QueryRunner } from 'typeorm';

const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

/**
 * Inbound Stripe events (`POST /webhooks/stripe`), one row per Stripe event id: the primary key
 * is what makes a replayed delivery do nothing. The route writes under the system role (no
 * tenant is known before the body is parsed); a tenant reads and settles its own rows. Rows
 * without a tenant (none in the metadata, no payment of ours) are seen only by the system role.
 * The two indexes on `jobs` serve reconciliation: a payment job by its intent, refunds by theirs.
 */
export class StripeEvents1764201600004 implements MigrationInterface {
  name = 'StripeEvents1764201600004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE stripe_events (
        id                 text PRIMARY KEY,
        type               text NOT NULL,
        livemode           boolean NOT NULL,
        tenant_id          uuid,
        job_id             uuid,
        payment_intent_id  text,
        payload            jsonb NOT NULL,
        received_at        timestamptz NOT NULL DEFAULT now(),
        processed_at       timestamptz,
        outcome            text NOT NULL DEFAULT 'pending'
                           CHECK (outcome IN ('pending','matched','mismatch','unrecorded','disputed','ignored')),
        outcome_detail     text
      )`);
    await db.query(`CREATE INDEX stripe_events_tenant_idx ON stripe_events (tenant_id, received_at)`);
    await db.query(`ALTER TABLE stripe_events ENABLE ROW LEVEL SECURITY`);
    await db.query(`ALTER TABLE stripe_events FORCE ROW LEVEL SECURITY`);
    await db.query(`CREATE POLICY system_access ON stripe_events TO queue_system USING (true) WITH CHECK (true)`);
    await db.query(
      `CREATE POLICY tenant_isolation ON stripe_events TO queue_tenant
         USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
    );
    await db.query(`GRANT SELECT, UPDATE ON stripe_events TO queue_tenant`);

    await db.query(
      `CREATE INDEX jobs_payment_intent_idx ON jobs ((result->>'paymentIntentId')) WHERE type = 'payment-process'`,
    );
    await db.query(
      `CREATE INDEX jobs_refund_intent_idx ON jobs (tenant_id, (data->>'paymentIntentId')) WHERE type = 'refund-process'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX jobs_refund_intent_idx`);
    await db.query(`DROP INDEX jobs_payment_intent_idx`);
    await db.query(`DROP TABLE stripe_events`);
  }
}
