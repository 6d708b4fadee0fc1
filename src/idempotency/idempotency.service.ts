import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { IDEMPOTENCY_CLEANUP_CRON } from '../config/schedules.config';
import { AdvisoryLocks } from '../database/advisory-lock';
import { TenantScope } from '../database/tenant-scope';
import { JOB_TYPES, JobType } from '../job-definitions/job-types';
import { canonicalJson } from './canonical-json';
import { IdempotencyKeys, KeyHolder, StatementPart } from './idempotency-keys';

export type Reservation =
  | { reserved: true }
  | { reserved: false; jobId: string; sameRequest: boolean };

/** The default schedule of the cleanup (IDEMPOTENCY_CLEANUP_CRON overrides it). */
export { IDEMPOTENCY_CLEANUP_CRON };

/**
 * Idempotency keys per tenant, backed by `idempotency_keys`: at the API a key maps to the
 * first job submitted with it; in the worker a completed key returns its stored result. Expired
 * keys are removed by the `scheduled-task` `idempotency-cleanup`, a repeatable on
 * IDEMPOTENCY_CLEANUP_CRON.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly keys: IdempotencyKeys,
    private readonly locks: AdvisoryLocks,
  ) {}

  /**
   * The client's key; else, for money jobs, a hash of tenant, type and canonical payload, so
   * the same charge submitted twice is one job. Other jobs without a client key have none:
   * two identical e-mails or analytics events may well be meant.
   */
  generateKey(tenantId: string, type: JobType, payload: object, clientKey?: string): string | null {
    if (clientKey) return clientKey;
    if (JOB_TYPES[type].queue !== 'money') return null;
    return `auto:${sha256(`${tenantId}\u0000${type}\u0000${canonicalJson(payload)}`)}`;
  }

  requestHash(type: JobType, payload: object): string {
    return sha256(`${type}\u0000${canonicalJson(payload)}`);
  }

  /**
   * Claims each key for its job inside the submitting transaction. An expired entry is taken
   * over; a live one answers with the job that holds it. Concurrent claims of one key
   * serialize on its primary key, so exactly one wins. Two statements whatever the batch's
   * size: one multi-row claim, then one look-up of the holders of what it could not claim. A
   * key repeated within the batch goes to its first job. Answers in the order given.
   */
  async reserveAll(
    manager: EntityManager,
    tenantId: string,
    entries: Array<{ key: string; jobId: string; requestHash: string }>,
  ): Promise<Reservation[]> {
    const firstOfKey = new Map<string, { jobId: string; requestHash: string }>();
    for (const entry of entries) if (!firstOfKey.has(entry.key)) firstOfKey.set(entry.key, entry);
    // In key order: two batches sharing keys then lock them in the same order, never a deadlock.
    const claims = [...firstOfKey].map(([key, first]) => ({ key, ...first })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const claimed = claims.length
      ? await this.keys.claimAllIn(manager, tenantId, claims, this.config.idempotencyTtlMs / 1000)
      : new Set<string>();
    const unclaimed = claims.filter((claim) => !claimed.has(claim.key)).map((claim) => claim.key);
    const holders = unclaimed.length ? await this.keys.holdersIn(manager, tenantId, unclaimed) : new Map<string, KeyHolder>();
    return entries.map((entry): Reservation => {
      const first = firstOfKey.get(entry.key)!;
      if (first.jobId === entry.jobId && claimed.has(entry.key)) return { reserved: true };
      const holder = claimed.has(entry.key) ? first : holders.get(entry.key);
      // Claimed by nobody and held by nobody: an expired holder deleted between the two statements.
      if (!holder) throw new Error(`Idempotency key of job ${entry.jobId} is neither claimed nor held`);
      return { reserved: false, jobId: holder.jobId, sameRequest: holder.requestHash === entry.requestHash };
    });
  }

  /** Who holds each of these keys now (keys nobody holds are absent), read in a transaction of its own. */
  holdersOf(tenantId: string, keys: string[]): Promise<Map<string, KeyHolder>> {
    if (!keys.length) return Promise.resolve(new Map());
    return this.scope.run(tenantId, (manager) => this.keys.holdersIn(manager, tenantId, keys));
  }

  /** Gives a key back when its submission could not be enqueued. */
  async release(manager: EntityManager, key: string, jobId: string): Promise<void> {
    await this.keys.deleteIn(manager, key, jobId);
  }

  /** The stored result when work under this key has completed; undefined otherwise. */
  check(tenantId: string, key: string): Promise<object | undefined> {
    return this.keys.completedResult(tenantId, key);
  }

  /** Marks the key completed with its result, in the caller's transaction. */
  async store(manager: EntityManager, key: string, result: object): Promise<void> {
    await this.keys.markCompletedIn(manager, key, result, this.config.idempotencyTtlMs / 1000);
  }

  /**
   * store() for the keys of jobs a grouped completion completes, as a part of its statement
   * (IdempotencyKeys.completionPart): the records and their keys in one statement.
   */
  completionPart(completed: string, firstParameter: number, keys: Array<{ jobId: string; key: string }>): StatementPart {
    return this.keys.completionPart(completed, firstParameter, keys, this.config.idempotencyTtlMs / 1000);
  }

  /** store(), in a transaction of its own (for jobs without a record). */
  storeResult(tenantId: string, key: string, result: object): Promise<void> {
    return this.scope.run(tenantId, (manager) => this.store(manager, key, result));
  }

  /** Removes expired keys of every tenant; one instance at a time. */
  async cleanup(now: Date = new Date()): Promise<number> {
    const outcome = await this.locks.runExclusive('idempotency-cleanup', (manager) => this.keys.deleteExpiredIn(manager, now));
    const removed = outcome.ran ? outcome.value : 0;
    if (removed) this.logger.log(`Removed ${removed} expired idempotency keys`);
    return removed;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
