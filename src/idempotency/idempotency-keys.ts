import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantScope } from '../database/tenant-scope';

export interface KeyHolder {
  jobId: string;
  requestHash: string;
}

/** Every statement on `idempotency_keys`; IdempotencyService decides what they mean. */
@Injectable()
export class IdempotencyKeys {
  constructor(private readonly scope: TenantScope) {}

  /**
   * Inserts the key as pending for `jobId`, or takes over an expired entry; answers false when
   * a live entry holds it. Concurrent claims of one key serialize on its primary key.
   */
  async claimIn(
    manager: EntityManager,
    claim: { tenantId: string; key: string; jobId: string; requestHash: string; ttlSeconds: number },
  ): Promise<boolean> {
    const claimed = await manager.query(
      `INSERT INTO idempotency_keys (tenant_id, key, job_id, request_hash, status, expires_at)
       VALUES ($1, $2, $3, $4, 'pending', now() + make_interval(secs => $5))
       ON CONFLICT (tenant_id, key) DO UPDATE
         SET job_id = EXCLUDED.job_id, request_hash = EXCLUDED.request_hash, status = 'pending',
             result = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at < now()
       RETURNING job_id`,
      [claim.tenantId, claim.key, claim.jobId, claim.requestHash, claim.ttlSeconds],
    );
    return claimed.length > 0;
  }

  async holderIn(manager: EntityManager, tenantId: string, key: string): Promise<KeyHolder> {
    const [holder] = await manager.query(
      `SELECT job_id, request_hash FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`,
      [tenantId, key],
    );
    return { jobId: holder.job_id, requestHash: holder.request_hash };
  }

  async deleteIn(manager: EntityManager, key: string, jobId: string): Promise<void> {
    await manager.query(`DELETE FROM idempotency_keys WHERE key = $1 AND job_id = $2`, [key, jobId]);
  }

  /** The stored result of a completed key (`{}` when it stored none); undefined otherwise. */
  async completedResult(tenantId: string, key: string): Promise<object | undefined> {
    const rows = await this.scope.run(tenantId, (manager) =>
      manager.query(`SELECT result FROM idempotency_keys WHERE key = $1 AND status = 'completed'`, [key]),
    );
    return rows.length ? (rows[0].result ?? {}) : undefined;
  }

  async markCompletedIn(manager: EntityManager, key: string, result: object, ttlSeconds: number): Promise<void> {
    await manager.query(
      `UPDATE idempotency_keys SET status = 'completed', result = $2,
         expires_at = GREATEST(expires_at, now() + make_interval(secs => $3))
       WHERE key = $1`,
      [key, JSON.stringify(result), ttlSeconds],
    );
  }

  /** Deletes the keys expired before `cutoff` that the caller's transaction sees (RLS applies). */
  async deleteExpiredIn(manager: EntityManager, cutoff: Date): Promise<number> {
    const [, count] = (await manager.query(`DELETE FROM idempotency_keys WHERE expires_at < $1`, [cutoff])) as [unknown, number];
    return count;
  }
}
