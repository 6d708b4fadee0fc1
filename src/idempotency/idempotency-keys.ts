import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantScope } from '../database/tenant-scope';

/** A CTE another repository's statement includes, and the parameters it adds after that statement's own. */
export interface StatementPart {
  cte: string;
  parameters: unknown[];
}

export interface KeyHolder {
  jobId: string;
  requestHash: string;
}

export interface KeyClaim {
  key: string;
  jobId: string;
  requestHash: string;
}

/** A key of a claim: claimed by the statement, or held by another job (as the statement saw it). */
export type ClaimAnswer = { key: string; claimed: true } | { key: string; claimed: false; holder: KeyHolder };

/** Every statement on `idempotency_keys`; IdempotencyService decides what they mean. */
@Injectable()
export class IdempotencyKeys {
  constructor(private readonly scope: TenantScope) {}

  /**
   * Inserts each key as pending for its job, or takes over an expired entry, in one statement;
   * answers the keys it claimed (a live entry keeps the others). Concurrent claims of one key
   * serialize on its primary key. The keys must be distinct: one statement cannot take over
   * the same row twice.
   */
  async claimAllIn(manager: EntityManager, tenantId: string, claims: KeyClaim[], ttlSeconds: number): Promise<Set<string>> {
    const claimed: Array<{ key: string }> = await manager.query(
      `${CLAIM} RETURNING key`,
      [tenantId, ...claimColumns(claims), ttlSeconds],
    );
    return new Set(claimed.map((row) => row.key));
  }

  /**
   * claimAllIn and holdersIn as one statement, in a tenant transaction of its own (one round trip
   * with its COMMIT). `alongside` may add a data-modifying CTE that reads `claimedJobIds` (the
   * ids of the jobs whose keys were claimed), with its parameters from `firstParameter`: the
   * records of exactly those jobs go in with their keys. Answers a row per key claimed and per
   * key another job holds; as the statement's snapshot saw it, so a holder that committed while
   * the claim waited for its row lock is in neither (the caller claims that key again).
   */
  async claimAtOnce(
    tenantId: string,
    claims: KeyClaim[],
    ttlSeconds: number,
    alongside?: (claimedJobIds: string, firstParameter: number) => StatementPart,
  ): Promise<ClaimAnswer[]> {
    const parameters: unknown[] = [tenantId, ...claimColumns(claims), ttlSeconds];
    const part = alongside?.('SELECT job_id FROM claimed_keys', parameters.length + 1);
    const { rows } = await this.scope.statement<{ claimed: boolean; key: string; job_id: string; request_hash: string | null }>(
      tenantId,
      `WITH claimed_keys AS (${CLAIM} RETURNING key, job_id),
         held_keys AS (
           SELECT key, job_id, request_hash FROM idempotency_keys
            WHERE tenant_id = $1 AND key = ANY(ARRAY(SELECT unnest($2::text[]) EXCEPT SELECT key FROM claimed_keys)))${part ? `, ${part.cte}` : ''}
       SELECT true AS claimed, key, job_id, NULL AS request_hash FROM claimed_keys
       UNION ALL SELECT false, key, job_id, request_hash FROM held_keys`,
      part ? [...parameters, ...part.parameters] : parameters,
    );
    return rows.map((row) => (row.claimed
      ? { key: row.key, claimed: true }
      : { key: row.key, claimed: false, holder: { jobId: row.job_id, requestHash: row.request_hash! } }));
  }

  async holdersIn(manager: EntityManager, tenantId: string, keys: string[]): Promise<Map<string, KeyHolder>> {
    const rows: Array<{ key: string; job_id: string; request_hash: string }> = await manager.query(
      `SELECT key, job_id, request_hash FROM idempotency_keys WHERE tenant_id = $1 AND key = ANY($2::text[])`,
      [tenantId, keys],
    );
    return new Map(rows.map((row) => [row.key, { jobId: row.job_id, requestHash: row.request_hash }]));
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

  /**
   * markCompletedIn for many keys, as a part of the caller's statement: a data-modifying CTE
   * that completes each key with the result of its job, for the jobs the caller's CTE `completed`
   * (columns `id`, `result`) answers. So the records and their keys complete in one statement,
   * and a key whose job was not completed there is left as it is. Its parameters follow the
   * caller's, from `$firstParameter`.
   */
  completionPart(completed: string, firstParameter: number, keys: Array<{ jobId: string; key: string }>, ttlSeconds: number): StatementPart {
    const [ids, names, ttl] = [firstParameter, firstParameter + 1, firstParameter + 2].map((n) => `$${n}`);
    return {
      cte: `completed_keys AS (
        UPDATE idempotency_keys SET status = 'completed', result = ${completed}.result,
          expires_at = GREATEST(expires_at, now() + make_interval(secs => ${ttl}))
        FROM ${completed} JOIN unnest(${ids}::uuid[], ${names}::text[]) AS keyed(job_id, key) ON keyed.job_id = ${completed}.id
        WHERE idempotency_keys.key = keyed.key)`,
      parameters: [keys.map((entry) => entry.jobId), keys.map((entry) => entry.key), ttlSeconds],
    };
  }

  /** Deletes the keys expired before `cutoff` that the caller's transaction sees (RLS applies). */
  async deleteExpiredIn(manager: EntityManager, cutoff: Date): Promise<number> {
    const [, count] = (await manager.query(`DELETE FROM idempotency_keys WHERE expires_at < $1`, [cutoff])) as [unknown, number];
    return count;
  }
}

/** The claim's INSERT, without RETURNING: $1 tenant, $2 keys, $3 job ids, $4 request hashes, $5 TTL in seconds. */
const CLAIM = `INSERT INTO idempotency_keys (tenant_id, key, job_id, request_hash, status, expires_at)
       SELECT $1, claim.key, claim.job_id, claim.request_hash, 'pending', now() + make_interval(secs => $5)
         FROM unnest($2::text[], $3::uuid[], $4::text[]) AS claim(key, job_id, request_hash)
       ON CONFLICT (tenant_id, key) DO UPDATE
         SET job_id = EXCLUDED.job_id, request_hash = EXCLUDED.request_hash, status = 'pending',
             result = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at < now()`;

function claimColumns(claims: KeyClaim[]): [string[], string[], string[]] {
  return [claims.map((claim) => claim.key), claims.map((claim) => claim.jobId), claims.map((claim) => claim.requestHash)];
}
