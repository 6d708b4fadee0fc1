import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ten tables of the service, row-level security and the seeded provider buckets.
 *
 * Two NOLOGIN roles carry the security model:
 * - queue_tenant: what tenant-scoped work runs as (`SET LOCAL ROLE` inside a transaction that
 *   also sets app.tenant_id). Policies bind it even when the connection user is a superuser.
 * - queue_system: granted to the connection user, for cross-tenant work (recovery, cleanup,
 *   monitoring). With FORCE ROW LEVEL SECURITY even the table owner needs a policy.
 */
const TENANT_TABLES = [
  'jobs',
  'critical_jobs',
  'schedules',
  'rate_limits',
  'idempotency_keys',
  'alert_history',
  'dead_letter_jobs',
] as const;
const SYSTEM_TABLES = ['queues', 'queue_metrics', 'rate_limiters'] as const;
const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

export class BaselineQueue1764201600001 implements MigrationInterface {
  name = 'BaselineQueue1764201600001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queue_tenant') THEN
          CREATE ROLE queue_tenant NOLOGIN NOBYPASSRLS;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queue_system') THEN
          CREATE ROLE queue_system NOLOGIN NOBYPASSRLS;
        END IF;
      END $$`);
    await db.query(`GRANT queue_tenant TO CURRENT_USER`);
    await db.query(`GRANT queue_system TO CURRENT_USER`);

    await db.query(`
      CREATE TABLE queues (
        name        text PRIMARY KEY,
        paused      boolean NOT NULL DEFAULT false,
        paused_at   timestamptz,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`INSERT INTO queues (name) VALUES ('money'), ('communication'), ('background')`);

    await db.query(`
      CREATE TABLE jobs (
        id                  uuid PRIMARY KEY,
        tenant_id           uuid NOT NULL,
        queue               text NOT NULL REFERENCES queues(name),
        type                text NOT NULL,
        status              text NOT NULL CHECK (status IN ('waiting','delayed','active','completed','failed','cancelled')),
        priority            smallint NOT NULL,
        data                jsonb NOT NULL,
        result              jsonb,
        error               jsonb,
        attempts            integer NOT NULL DEFAULT 0,
        max_attempts        integer NOT NULL,
        progress            integer NOT NULL DEFAULT 0,
        idempotency_key     text,
        created_by          text,
        cancel_requested_at timestamptz,
        run_at              timestamptz,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        started_at          timestamptz,
        finished_at         timestamptz
      )`);
    await db.query(`CREATE INDEX jobs_tenant_queue_status_idx ON jobs (tenant_id, queue, status, created_at DESC)`);
    await db.query(`CREATE INDEX jobs_queue_status_idx ON jobs (queue, status, created_at DESC)`);
    await db.query(`CREATE INDEX jobs_unfinished_idx ON jobs (updated_at) WHERE status IN ('waiting','delayed','active')`);
    await db.query(`CREATE UNIQUE INDEX jobs_tenant_idempotency_key_idx ON jobs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);

    await db.query(`
      CREATE TABLE critical_jobs (
        id          bigserial PRIMARY KEY,
        tenant_id   uuid NOT NULL,
        job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        step        text NOT NULL,
        details     jsonb NOT NULL DEFAULT '{}',
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (job_id, step)
      )`);
    await db.query(`CREATE INDEX critical_jobs_tenant_idx ON critical_jobs (tenant_id, recorded_at DESC)`);

    await db.query(`
      CREATE TABLE schedules (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id   uuid NOT NULL,
        name        text NOT NULL,
        cron        text NOT NULL,
        timezone    text NOT NULL DEFAULT 'UTC',
        job_type    text NOT NULL,
        job_data    jsonb NOT NULL DEFAULT '{}',
        enabled     boolean NOT NULL DEFAULT true,
        last_run_at timestamptz,
        next_run_at timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, name)
      )`);
    await db.query(`CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE enabled`);

    await db.query(`
      CREATE TABLE rate_limits (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id      uuid NOT NULL,
        client_key     text NOT NULL,
        route_group    text NOT NULL,
        max_requests   integer NOT NULL CHECK (max_requests > 0),
        window_seconds integer NOT NULL CHECK (window_seconds > 0),
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, client_key, route_group)
      )`);

    await db.query(`
      CREATE TABLE queue_metrics (
        id          bigserial PRIMARY KEY,
        queue       text NOT NULL REFERENCES queues(name),
        captured_at timestamptz NOT NULL DEFAULT now(),
        waiting     integer NOT NULL,
        active      integer NOT NULL,
        delayed     integer NOT NULL,
        completed   integer NOT NULL,
        failed      integer NOT NULL,
        paused      boolean NOT NULL
      )`);
    await db.query(`CREATE INDEX queue_metrics_queue_time_idx ON queue_metrics (queue, captured_at DESC)`);

    await db.query(`
      CREATE TABLE idempotency_keys (
        tenant_id    uuid NOT NULL,
        key          text NOT NULL,
        job_id       uuid,
        request_hash text NOT NULL,
        status       text NOT NULL CHECK (status IN ('pending','completed')),
        result       jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, key)
      )`);
    await db.query(`CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at)`);

    await db.query(`
      CREATE TABLE rate_limiters (
        name              text PRIMARY KEY,
        capacity          integer NOT NULL CHECK (capacity > 0),
        refill_per_second numeric NOT NULL CHECK (refill_per_second > 0),
        enabled           boolean NOT NULL DEFAULT true,
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    // Conservative defaults below each provider's documented API limits; tune per account.
    await db.query(`
      INSERT INTO rate_limiters (name, capacity, refill_per_second) VALUES
        ('stripe', 25, 25),
        ('twilio', 10, 10),
        ('sendgrid', 20, 20),
        ('solana-rpc', 10, 10)`);

    await db.query(`
      CREATE TABLE alert_history (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id       uuid NOT NULL,
        severity        text NOT NULL CHECK (severity IN ('info','warning','critical')),
        kind            text NOT NULL,
        queue           text,
        message         text NOT NULL,
        details         jsonb NOT NULL DEFAULT '{}',
        created_at      timestamptz NOT NULL DEFAULT now(),
        acknowledged_at timestamptz,
        acknowledged_by text
      )`);
    await db.query(`CREATE INDEX alert_history_tenant_time_idx ON alert_history (tenant_id, created_at DESC)`);

    await db.query(`
      CREATE TABLE dead_letter_jobs (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id        uuid NOT NULL,
        job_id           uuid NOT NULL,
        queue            text NOT NULL,
        type             text NOT NULL,
        data             jsonb NOT NULL,
        idempotency_key  text,
        error_type       text NOT NULL,
        error_message    text NOT NULL,
        attempts         integer NOT NULL,
        first_failed_at  timestamptz NOT NULL,
        last_failed_at   timestamptz NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX dead_letter_jobs_tenant_idx ON dead_letter_jobs (tenant_id, queue, type, created_at DESC)`);
    await db.query(`CREATE INDEX dead_letter_jobs_error_idx ON dead_letter_jobs (tenant_id, error_type)`);
    await db.query(`CREATE INDEX dead_letter_jobs_age_idx ON dead_letter_jobs (created_at)`);

    for (const table of [...TENANT_TABLES, ...SYSTEM_TABLES]) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await db.query(`CREATE POLICY system_access ON ${table} TO queue_system USING (true) WITH CHECK (true)`);
    }
    for (const table of TENANT_TABLES) {
      await db.query(
        `CREATE POLICY tenant_isolation ON ${table} TO queue_tenant
           USING (tenant_id = ${CURRENT_TENANT}) WITH CHECK (tenant_id = ${CURRENT_TENANT})`,
      );
      await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO queue_tenant`);
    }
    await db.query(`GRANT SELECT ON queues TO queue_tenant`);
    await db.query(`CREATE POLICY tenant_read ON queues FOR SELECT TO queue_tenant USING (true)`);
    await db.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO queue_tenant`);
  }

  async down(db: QueryRunner): Promise<void> {
    // Roles are cluster-wide and may serve other databases, so they are left in place.
    for (const table of [
      'dead_letter_jobs', 'alert_history', 'rate_limiters', 'idempotency_keys', 'queue_metrics',
      'rate_limits', 'schedules', 'critical_jobs', 'jobs', 'queues',
    ]) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
