import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantScope } from './tenant-scope';

/** Work that one instance of the service at a time runs, across every process. */
export type AdvisoryLockName = 'job-recovery' | 'dlq-retention' | 'idempotency-cleanup' | 'outbox-relay';

export type ExclusiveOutcome<T> = { ran: true; value: T } | { ran: false };

/** The key a lock name stands for; other sessions (and tests) take the same lock with it. */
export function advisoryLockKey(name: AdvisoryLockName): string {
  return `queue-service:${name}`;
}

/**
 * Runs cross-tenant work under a transaction-scoped advisory lock: when another instance holds
 * the named lock, nothing runs and the answer says so. The lock goes with the transaction.
 */
@Injectable()
export class AdvisoryLocks {
  constructor(private readonly scope: TenantScope) {}

  runExclusive<T>(name: AdvisoryLockName, work: (manager: EntityManager) => Promise<T>): Promise<ExclusiveOutcome<T>> {
    return this.scope.system(async (manager): Promise<ExclusiveOutcome<T>> => {
      const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
        advisoryLockKey(name),
      ]);
      if (!locked) return { ran: false };
      return { ran: true, value: await work(manager) };
    });
  }
}
