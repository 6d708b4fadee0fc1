import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Client, PoolClient, QueryResult } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Only a canonical UUID is ever written into SQL text; anything else goes as a parameter. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs tenant work inside a transaction bound to one tenant.
 *
 * The transaction switches to the `queue_tenant` role, which row-level security binds even
 * when the pool connects as a superuser, and sets `app.tenant_id` for this transaction only,
 * so nothing leaks to the next user of the pooled connection. Pass the `manager` down:
 * repositories taken from the DataSource run on another connection, outside the tenant.
 */
@Injectable()
export class TenantScope {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!CANONICAL_UUID.test(tenantId)) return this.runWithParameter(tenantId, work);
    return this.inTransaction(opening(tenantId), work);
  }

  /**
   * One statement in a tenant transaction of its own, in one round trip: the opening, the
   * statement and COMMIT go out together on the pipelined connection. For the worker's hot,
   * single-statement writes (claims, lease renewals, fenced updates, journal steps), which
   * `run` would answer in two round trips (the COMMIT waits for the statement).
   */
  async statement<Row extends object = Record<string, unknown>>(tenantId: string, sql: string, parameters: unknown[]): Promise<StatementResult<Row>> {
    if (!CANONICAL_UUID.test(tenantId)) {
      return this.runWithParameter(tenantId, async (manager) => {
        const client = (await manager.queryRunner!.connect()) as PoolClient;
        return resultOf<Row>(await client.query(sql, parameters));
      });
    }
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      const [opened, done, committed] = await Promise.allSettled(inOneWrite(client, () => [client.query(opening(tenantId)), client.query(sql, parameters), client.query('COMMIT')]));
      if (opened.status === 'rejected') throw opened.reason;
      if (done.status === 'rejected') throw done.reason;
      if (committed.status === 'rejected') throw committed.reason;
      // COMMIT of a transaction that failed answers ROLLBACK, not an error.
      if (committed.value.command !== 'COMMIT') throw new Error(`The tenant transaction ended with ${committed.value.command}`);
      return resultOf<Row>(done.value);
    } finally {
      // Whatever failed, the pooled connection goes back with no transaction open.
      if ((client as PoolClient & { getTransactionStatus?(): string }).getTransactionStatus?.() !== 'I') {
        await client.query('ROLLBACK').catch(() => undefined);
      }
      await runner.release();
    }
  }

  /** Cross-tenant work (recovery, retention, monitoring) under the service's own role. */
  system<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  private runWithParameter<T>(tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `SELECT set_config('app.tenant_id', $1, true), set_config('role', 'queue_tenant', true)`,
        [tenantId],
      );
      return work(manager);
    });
  }

  /**
   * `DataSource.transaction`, opened by `opening` instead of TypeORM's own START TRANSACTION.
   * The opening is not awaited before the work starts: on the pipelined connection the work's
   * first statement follows it on the wire and waits one round trip for both. That is safe
   * because the opening cannot half-apply: START TRANSACTION comes first in the same message,
   * so if the tenant's settings fail the transaction is aborted and every statement behind it
   * fails too (never runs outside the tenant's role).
   */
  private async inTransaction<T>(opening: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      const opened = client.query(opening);
      markTransactionOpen(runner);
      const [openingOutcome, workOutcome] = await Promise.allSettled([opened, work(runner.manager)]);
      try {
        if (openingOutcome.status === 'rejected') throw openingOutcome.reason;
        if (workOutcome.status === 'rejected') throw workOutcome.reason;
        await runner.commitTransaction();
        return workOutcome.value;
      } catch (error) {
        // Also after a failed opening, which may have run START TRANSACTION: never pool an open transaction.
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}

export interface StatementResult<Row> {
  rows: Row[];
  /** Rows the statement inserted, updated, deleted or returned. */
  rowCount: number;
}

/**
 * Starts a tenant transaction in one round trip: START TRANSACTION and the tenant's settings as
 * one simple query (every tenant transaction, several per job, used to spend one on each).
 * Simple-query protocol, hence the literal: `tenantId` is a canonical UUID here.
 */
function opening(tenantId: string): string {
  return `START TRANSACTION; SELECT set_config('app.tenant_id', '${tenantId}', true), set_config('role', 'queue_tenant', true)`;
}

/**
 * Runs `send` (queries the pipelined client writes at once) with the socket corked, so its
 * messages leave in one write: pg writes each query on its own (a syscall each), and the
 * statement's opening, statement and COMMIT were three (pg's socket writes were a tenth of the
 * service's CPU in the lifecycle's profile, ninth round).
 */
function inOneWrite<T>(client: PoolClient, send: () => T): T {
  const socket = (client as unknown as Client).connection?.stream;
  socket?.cork();
  try {
    return send();
  } finally {
    socket?.uncork();
  }
}

function resultOf<Row>(result: QueryResult): StatementResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

/**
 * Tells TypeORM the runner is inside a transaction it did not open itself, so a nested
 * `manager.transaction` takes a SAVEPOINT and commit/rollback end this one (the state
 * `startTransaction` would have set: the flag, and a depth of one).
 */
function markTransactionOpen(runner: QueryRunner): void {
  const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  state.isTransactionActive = true;
  state.transactionDepth = 1;
}
