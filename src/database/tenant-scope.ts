import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

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
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `SELECT set_config('app.tenant_id', $1, true), set_config('role', 'queue_tenant', true)`,
        [tenantId],
      );
      return work(manager);
    });
  }

  /** Cross-tenant work (recovery, retention, monitoring) under the service's own role. */
  system<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
