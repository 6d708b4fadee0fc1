import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
    return this.inTransaction(
      // One round trip for both: every tenant transaction (several per job) used to spend one
      // on START TRANSACTION and another on set_config. Simple-query protocol, hence the literal.
      `START TRANSACTION; SELECT set_config('app.tenant_id', '${tenantId}', true), set_config('role', 'queue_tenant', true)`,
      work,
    );
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

  /** `DataSource.transaction`, opened by `opening` instead of TypeORM's own START TRANSACTION. */
  private async inTransaction<T>(opening: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(opening).catch(async (error: unknown) => {
        // START TRANSACTION may have run before set_config failed: never pool an open transaction.
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      });
      markTransactionOpen(runner);
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
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
