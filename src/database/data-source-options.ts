import { DataSourceOptions } from 'typeorm';
import { BaselineQueue1764201600001 } from '../../migrations/001-baseline-queue';
import { ReliableExecution1764201600002 } from '../../migrations/002-reliable-execution';
import { OutboxAndOrigins1764201600003 } from '../../migrations/003-outbox-and-origins';
import { StripeEvents1764201600004 } from '../../migrations/004-stripe-events';
import { Webhooks1764201600005 } from '../../migrations/005-webhooks';
import { AlertConditions1764201600006 } from '../../migrations/006-alert-conditions';
import { Schedules1764201600007 } from '../../migrations/007-schedules';
import { AuditLog1764201600008 } from '../../migrations/008-audit-log';
import { PlanStableJobLookups1764201600009 } from '../../migrations/009-plan-stable-job-lookups';
import { JournalWithoutTenantIndex1764201600010 } from '../../migrations/010-journal-without-tenant-index';
import { AppConfig } from '../config/app-config';

export const MIGRATIONS = [
  BaselineQueue1764201600001,
  ReliableExecution1764201600002,
  OutboxAndOrigins1764201600003,
  StripeEvents1764201600004,
  Webhooks1764201600005,
  AlertConditions1764201600006,
  Schedules1764201600007,
  AuditLog1764201600008,
  PlanStableJobLookups1764201600009,
  JournalWithoutTenantIndex1764201600010,
];

/**
 * One definition of the connection, shared by the service and the TypeORM CLI (ormconfig.ts).
 * It lists no entities: in the service each module registers its own (autoLoadEntities), and
 * migrations need none.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // TypeORM's own logger prints a failed statement with its parameters (payload values): it stays off.
    // Query errors are logged where they are caught, through the error serializer (common/logging/log-serializers.ts).
    logging: false,
    // pg passes these to PostgreSQL at connect: every pooled session carries them.
    extra: {
      max: config.database.poolSize,
      // A query is sent without waiting for the one before it to be answered (node-postgres'
      // pipeline mode): TenantScope sends a transaction's opening and its first statement in one
      // go. Code that awaits each query, as TypeORM does, runs as before.
      pipeline: true,
      application_name: 'queue-service',
      statement_timeout: config.database.statementTimeoutMs,
      idle_in_transaction_session_timeout: config.database.idleInTransactionTimeoutMs,
    },
  };
}
