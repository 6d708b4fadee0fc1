import * as Joi from 'joi';

/**
 * How long the service's database sessions may run or sit idle in a transaction, and how many
 * streamed DLQ exports may hold a pooled connection at once (validated once at start-up).
 */
export interface DatabaseSessionsEnvironment {
  DATABASE_STATEMENT_TIMEOUT_MS: number;
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
  DLQ_EXPORT_IDLE_TIMEOUT_MS: number;
  /** Unset: a quarter of DATABASE_POOL_SIZE, at least 1. */
  DLQ_EXPORT_MAX_CONCURRENT?: number;
  DLQ_EXPORT_MAX_PER_TENANT: number;
}

const HOUR_MS = 3_600_000;

export const DATABASE_SESSIONS_ENVIRONMENT_SCHEMA = {
  // PostgreSQL cancels a statement that runs longer (the sessions' statement_timeout).
  DATABASE_STATEMENT_TIMEOUT_MS: Joi.number().integer().min(100).max(HOUR_MS).default(30_000),
  // PostgreSQL ends a session whose transaction waits longer for its client (a backstop).
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: Joi.number().integer().min(100).max(HOUR_MS).default(60_000),
  // The service cuts a client off first, so that its transaction ends cleanly.
  DLQ_EXPORT_IDLE_TIMEOUT_MS: Joi.number().integer().min(100)
    .less(Joi.ref('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS'))
    .message('DLQ_EXPORT_IDLE_TIMEOUT_MS must be less than DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS')
    .default(15_000),
  DLQ_EXPORT_MAX_CONCURRENT: Joi.number().integer().min(1).optional(),
  DLQ_EXPORT_MAX_PER_TENANT: Joi.number().integer().min(1).default(1),
};

/** What one key's rule cannot say: the export slots stay well inside the pool. */
export function databaseSessionProblems(env: DatabaseSessionsEnvironment & { DATABASE_POOL_SIZE: number }): string[] {
  const exports = exportSlotsOf(env);
  const problems: string[] = [];
  if (exports.maxConcurrent > Math.floor(env.DATABASE_POOL_SIZE / 2)) {
    problems.push(
      `DLQ_EXPORT_MAX_CONCURRENT (${exports.maxConcurrent}) must be at most half of DATABASE_POOL_SIZE (${env.DATABASE_POOL_SIZE}): ` +
        'exports may not take the connections that job processing needs',
    );
  }
  if (exports.maxPerTenant > exports.maxConcurrent) {
    problems.push(`DLQ_EXPORT_MAX_PER_TENANT (${exports.maxPerTenant}) must not exceed DLQ_EXPORT_MAX_CONCURRENT (${exports.maxConcurrent})`);
  }
  return problems;
}

export interface DlqExportLimits {
  /** A client that takes none of the export for this long is cut off and its transaction ended. */
  idleTimeoutMs: number;
  /** Exports running at once in this process (each holds one pooled connection). */
  maxConcurrent: number;
  /** Exports of one tenant running at once in this process. */
  maxPerTenant: number;
}

export function exportSlotsOf(env: DatabaseSessionsEnvironment & { DATABASE_POOL_SIZE: number }): DlqExportLimits {
  return {
    idleTimeoutMs: env.DLQ_EXPORT_IDLE_TIMEOUT_MS,
    maxConcurrent: env.DLQ_EXPORT_MAX_CONCURRENT ?? Math.max(1, Math.floor(env.DATABASE_POOL_SIZE / 4)),
    maxPerTenant: env.DLQ_EXPORT_MAX_PER_TENANT,
  };
}
