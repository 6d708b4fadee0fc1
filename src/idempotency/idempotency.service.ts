import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { IDEMPOTENCY_CLEANUP_CRON } from '../config/schedules.config';
import { AdvisoryLocks } from '../database/advisory-lock';
import { TenantScope } from '../database/tenant-scope';
import { JOB_TYPES, JobType } from '../job-definitions/job-types';
import { canonicalJson } from './canonical-json';
import { IdempotencyKeys, KeyClaim, KeyHolder, StatementPart } from './idempotency-keys';

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
  async reserveAll(manager: EntityManager, tenantId: string, entries: KeyClaim[]): Promise<Reservation[]> {
    const claims = claimsOf(entries);
    const claimed = claims.length
      ? await this.keys.claimAllIn(manager, tenantId, claims, this.ttlSeconds)
      : new Set<string>();
    const unclaimed = claims.filter((claim) => !claimed.has(claim.key)).map((claim) => claim.key);
    const holders = unclaimed.length ? await this.keys.holdersIn(manager, tenantId, unclaimed) : new Map<string, KeyHolder>();
    return reservationsOf(entries, claimed, holders).map((reservation, index) => {
      // Claimed by nobody and held by nobody: an expired holder deleted between the two statements.
      if (!reservation) throw new Error(`Idempotency key of job ${entries[index].jobId} is neither claimed nor held`);
      return reservation;
    });
  }

  /**
   * reserveAll in a transaction of its own, as one statement and one round trip with its COMMIT
   * (IdempotencyKeys.claimAtOnce): for independent submissions, each answered for itself, so
   * nothing has to be rolled back for one of them. `alongside` writes what goes with the claimed
   * jobs (their records) in the same statement. Undefined for a key neither claimed nor seen
   * held: its holder committed while the claim waited for its row (after the statement's
   * snapshot), or an expired holder was deleted meanwhile. Nothing was written for that job; a
   * second claim settles it.
   */
  async reserveAtOnce(
    tenantId: string,
    entries: KeyClaim[],
    alongside?: (claimedJobIds: string, firstParameter: number) => StatementPart,
  ): Promise<Array<Reservation | undefined>> {
    const answers = await this.keys.claimAtOnce(tenantId, claimsOf(entries), this.ttlSeconds, alongside);
    const claimed = new Set(answers.flatMap((answer) => (answer.claimed ? [answer.key] : [])));
    const holders = new Map(answers.flatMap((answer) => (answer.claimed ? [] : [[answer.key, answer.holder] as const])));
    return reservationsOf(entries, claimed, holders);
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
    await this.keys.markCompletedIn(manager, key, result, this.ttlSeconds);
  }

  /**
   * store() for the keys of jobs a grouped completion completes, as a part of its statement
   * (IdempotencyKeys.completionPart): the records and their keys in one statement.
   */
  completionPart(completed: string, firstParameter: number, keys: Array<{ jobId: string; key: string }>): StatementPart {
    return this.keys.completionPart(completed, firstParameter, keys, this.ttlSeconds);
  }

  /** store(), in a transaction of its own (for jobs without a record). */
  storeResult(tenantId: string, key: string, result: object): Promise<void> {
    return this.scope.run(tenantId, (manager) => this.store(manager, key, result));
  }

  private get ttlSeconds(): number {
    return this.config.idempotencyTtlMs / 1000;
  }

  /** Removes expired keys of every tenant; one instance at a time. */
  async cleanup(now: Date = new Date()): Promise<number> {
    const outcome = await this.locks.runExclusive('idempotency-cleanup', (manager) => this.keys.deleteExpiredIn(manager, now));
    const removed = outcome.ran ? outcome.value : 0;
    if (removed) this.logger.log(`Removed ${removed} expired idempotency keys`);
    return removed;
  }
}

/**
 * One claim per distinct key, for its first job, in key order: two submissions sharing keys then
 * lock them in the same order, never a deadlock.
 */
function claimsOf(entries: KeyClaim[]): KeyClaim[] {
  const firstOfKey = new Map<string, KeyClaim>();
  for (const entry of entries) if (!firstOfKey.has(entry.key)) firstOfKey.set(entry.key, entry);
  return [...firstOfKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * What the claims mean for each entry: reserved for the first job of a claimed key; for a later
 * job with the same key, or a key another job holds, that job. Undefined when the key was
 * neither claimed nor seen held.
 */
function reservationsOf(entries: KeyClaim[], claimed: Set<string>, holders: Map<string, KeyHolder>): Array<Reservation | undefined> {
  const firstOfKey = new Map<string, KeyClaim>();
  for (const entry of entries) if (!firstOfKey.has(entry.key)) firstOfKey.set(entry.key, entry);
  return entries.map((entry): Reservation | undefined => {
    const first = firstOfKey.get(entry.key)!;
    if (first.jobId === entry.jobId && claimed.has(entry.key)) return { reserved: true };
    const holder = claimed.has(entry.key) ? first : holders.get(entry.key);
    if (!holder) return undefined;
    return { reserved: false, jobId: holder.jobId, sameRequest: holder.requestHash === entry.requestHash };
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
