import { Injectable, Logger, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import type { Job, JobOptions } from 'bull';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { queueCacheKeys } from '../cache/cache-keys';
import { ServiceCache } from '../cache/service-cache';
import type { FieldProblem } from '../common/errors/validation-details';
import { AppConfig } from '../config/app-config';
import { GroupCommit, GroupOutcome } from '../database/group-commit';
import { TenantScope } from '../database/tenant-scope';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { JobRecords, NewJobRecord } from '../persistence/job-records';
import type { QueueName } from '../job-definitions/queue-names';
import { QueueRegistry } from '../queue-store/queue-registry';
import { TenantJobIndex } from '../queue-store/tenant-job-index';
import type { JobSummary } from './dto/job-views.dto';
import type { SubmitJobRequest } from './dto/submit-job.dto';
import type { JobEnvelope, JobOrigin } from '../job-definitions/job-envelope';
import { retryOptionsFor } from './job-options';
import { inSpan, traceIdOf, traceparentForNewJob } from './job-tracing';
import { BULL_PRIORITY, JobStatus } from '../job-definitions/job-status';
import { JOB_TYPES } from '../job-definitions/job-types';
import { estimatedBytes, QuotaClaim, QuotaExceededException, TenantQuotas } from './tenant-quotas';

/** Who submits: a client through the API, or the service itself (schedules, follow-ups, alerts). */
export interface Submitter {
  tenantId: string;
  /** The user behind an API submission; null for the service's own. */
  userId: string | null;
  origin: JobOrigin;
  /** For follow-ups: the job whose completion enqueues this one. */
  parentJobId?: string;
}

export interface PlannedJob {
  summary: JobSummary;
  envelope: JobEnvelope;
  options: JobOptions;
  record?: NewJobRecord;
  requestHash?: string;
  /** Names the request's idempotencyKey field in errors, e.g. `jobs.3.options.idempotencyKey`. */
  keyField: string;
}

/** What became of one planned job: enqueued now, or an earlier job holds its idempotency key. */
export type EnqueueOutcome = { created: true; job: JobSummary } | { created: false; jobId: string };

/**
 * Turns validated requests into jobs: records and idempotency keys first, in one tenant
 * transaction, then Redis. If Redis refuses, what was written is undone and the client is told
 * to try again, so a job Redis has is always on record and nothing half-accepted remains.
 */
@Injectable()
export class JobEnqueuer {
  private readonly logger = new Logger(JobEnqueuer.name);

  private readonly singleSubmissions = new GroupCommit<string, PlannedJob, EnqueueOutcome>(
    (tenantId, jobs) => this.recordSingles(tenantId, jobs),
    { maxPerStatement: 50, distinctBy: (job) => job.summary.id },
  );

  constructor(
    private readonly config: AppConfig,
    private readonly scope: TenantScope,
    private readonly queues: QueueRegistry,
    private readonly idempotency: IdempotencyService,
    private readonly records: JobRecords,
    private readonly cache: ServiceCache,
    private readonly tenantJobs: TenantJobIndex,
    private readonly quotas: TenantQuotas,
  ) {}

  /** `id` fixes the job id for submissions that must come out the same when repeated (follow-ups, ticks). */
  plan(submitter: Submitter, request: SubmitJobRequest, payload: Record<string, unknown>, keyField: string, id: string = randomUUID()): PlannedJob {
    const { tenantId, userId, origin, parentJobId } = submitter;
    const definition = JOB_TYPES[request.type];
    const delay = request.options?.delay ?? 0;
    const status: JobStatus = delay > 0 ? 'delayed' : 'waiting';
    const priority = BULL_PRIORITY[request.options?.priority ?? 'normal'];
    const idempotencyKey = this.idempotency.generateKey(tenantId, request.type, payload, request.options?.idempotencyKey);
    const options: JobOptions = { jobId: id, priority, delay, ...retryOptionsFor(this.config, request.type, request.options?.attempts) };
    const envelope: JobEnvelope = {
      tenantId,
      type: request.type,
      payload,
      origin,
      ...(userId ? { createdBy: userId } : {}),
      ...(parentJobId ? { parentJobId } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      traceparent: traceparentForNewJob(),
    };
    const planned: PlannedJob = {
      summary: { id, queue: definition.queue, type: request.type, status },
      envelope,
      options,
      keyField,
      ...(idempotencyKey ? { requestHash: this.idempotency.requestHash(request.type, payload) } : {}),
    };
    if (definition.persisted) {
      planned.record = {
        id,
        queue: definition.queue,
        type: request.type,
        status,
        priority,
        data: payload,
        maxAttempts: options.attempts ?? 1,
        idempotencyKey: idempotencyKey ?? null,
        createdBy: userId,
        origin,
        parentJobId: parentJobId ?? null,
        runAt: delay > 0 ? new Date(Date.now() + delay) : null,
      };
    }
    return planned;
  }

  enqueue(tenantId: string, planned: PlannedJob[]): Promise<EnqueueOutcome[]> {
    return inSpan('job.enqueue', { 'job.count': planned.length }, () => this.recordAndAdd(tenantId, planned));
  }

  /**
   * API submissions count against the tenant's quotas before anything is written (all or
   * nothing); the reservation is released again for whatever did not become a new job.
   */
  private async recordAndAdd(tenantId: string, planned: PlannedJob[]): Promise<EnqueueOutcome[]> {
    const claims = await this.reserveQuota(tenantId, planned);
    let outcomes: EnqueueOutcome[] = [];
    try {
      outcomes = await this.recordAndAddReserved(tenantId, planned);
      return outcomes;
    } finally {
      const kept = new Set(outcomes.flatMap((outcome) => (outcome.created ? [outcome.job.id] : [])));
      await this.quotas.release(claims.map((claim) => claim.jobId).filter((id) => !kept.has(id)));
    }
  }

  /**
   * Reserves what the submission would add. At the limit, a replay (a key already naming the
   * same request) adds nothing and must still get its earlier job back, not 429: the
   * reservation is tried again without the replays. Only refusals pay for that look-up.
   */
  private async reserveQuota(tenantId: string, planned: PlannedJob[]): Promise<QuotaClaim[]> {
    const claims = quotaClaimsOf(planned);
    try {
      await this.quotas.reserve(tenantId, claims);
      return claims;
    } catch (error) {
      if (!(error instanceof QuotaExceededException)) throw error;
      const keyed = planned.filter((job) => job.envelope.idempotencyKey && job.requestHash);
      const holders = await this.idempotency.holdersOf(tenantId, keyed.map((job) => job.envelope.idempotencyKey!));
      const replays = new Set(
        keyed.filter((job) => holders.get(job.envelope.idempotencyKey!)?.requestHash === job.requestHash).map((job) => job.summary.id),
      );
      if (!replays.size) throw error;
      const fresh = claims.filter((claim) => !replays.has(claim.jobId));
      await this.quotas.reserve(tenantId, fresh);
      return fresh;
    }
  }

  private async recordAndAddReserved(tenantId: string, planned: PlannedJob[]): Promise<EnqueueOutcome[]> {
    // Redis-only jobs without a key have nothing to write: no transaction for them.
    const outcomes = !planned.some(writesInDatabase)
      ? planned.map((job): EnqueueOutcome => ({ created: true, job: job.summary }))
      : planned.length === 1
        ? [await this.singleSubmissions.submit(tenantId, tenantId, planned[0])]
        : await this.scope.run(tenantId, (manager) => this.recordIn(manager, tenantId, planned));
    const fresh = planned.filter((_, index) => outcomes[index].created);
    const added: Job<JobEnvelope>[] = [];
    try {
      for (const [queue, jobs] of groupByQueue(fresh)) {
        const bulk = jobs.map((job) => ({ name: job.envelope.type, data: job.envelope, opts: job.options }));
        const jobsAdded = await this.queues.get(queue).addBulk(bulk);
        added.push(...jobsAdded);
        await this.tenantJobs.add(queue, jobsAdded);
      }
    } catch (error) {
      this.logger.error({ err: error, tenantId }, 'Redis refused jobs; rolling the submission back');
      await this.rollBack(tenantId, fresh, added);
      throw new ServiceUnavailableException('The queue is unavailable; nothing was enqueued, try again');
    }
    const changedQueues = new Set(fresh.map((job) => job.summary.queue));
    await this.cache.invalidate(...[...changedQueues].flatMap(queueCacheKeys));
    for (const job of fresh) {
      const { id, type, queue } = job.summary;
      this.logger.log({ jobId: id, type, queue, tenantId, origin: job.envelope.origin, traceId: traceIdOf(job.envelope.traceparent) }, 'Job enqueued');
    }
    return outcomes;
  }

  /**
   * Concurrent single submissions of a tenant, written together (group commit): their keys'
   * claim and their records' insert as one statement, sent with its opening and COMMIT in one
   * round trip (IdempotencyService.reserveAtOnce). Each request is answered for itself: a job
   * whose key another job holds writes nothing and answers that job (the same request) or 422
   * (another), and two requests with one key come out as they would one after the other: the
   * second answers the first's job. If the statement fails, nothing of it was committed and
   * each request is written on its own, so only the one at fault is refused.
   */
  private async recordSingles(tenantId: string, jobs: PlannedJob[]): Promise<GroupOutcome<EnqueueOutcome>[]> {
    try {
      return await this.recordAtOnce(tenantId, jobs);
    } catch (error) {
      if (jobs.length === 1) return [{ error }];
      return Promise.all(jobs.map((job) => this.recordAtOnce(tenantId, [job]).then(([outcome]) => outcome, (error: unknown) => ({ error }))));
    }
  }

  private async recordAtOnce(tenantId: string, jobs: PlannedJob[], retried = false): Promise<GroupOutcome<EnqueueOutcome>[]> {
    const records = jobs.flatMap((job) => (job.record ? [job.record] : []));
    const keyed = jobs.filter((job) => job.envelope.idempotencyKey && job.requestHash);
    if (!keyed.length) {
      await this.records.insert(tenantId, records);
      return jobs.map((job) => ({ ok: { created: true, job: job.summary } }));
    }
    const reservations = await this.idempotency.reserveAtOnce(
      tenantId,
      keyed.map((job) => ({ key: job.envelope.idempotencyKey!, jobId: job.summary.id, requestHash: job.requestHash! })),
      records.length ? (claimedJobIds, firstParameter) => this.records.insertPart(records, firstParameter, claimedJobIds) : undefined,
    );
    const reservationOf = new Map(keyed.map((job, index) => [job, reservations[index]]));
    // The statement has committed: from here each job is answered for itself, the group never
    // fails (a fallback would find the committed keys held and answer their jobs as replays).
    // A key neither claimed nor seen held wrote nothing for its job: it is claimed once more,
    // in a statement whose snapshot sees the holder that committed meanwhile.
    const unsettled = jobs.filter((job) => reservationOf.has(job) && !reservationOf.get(job));
    const settledAgain = unsettled.length && !retried
      ? await this.recordAtOnce(tenantId, unsettled, true).catch((error: unknown) => unsettled.map(() => ({ error })))
      : [];
    return jobs.map((job): GroupOutcome<EnqueueOutcome> => {
      if (!reservationOf.has(job)) return { ok: { created: true, job: job.summary } };
      const reservation = reservationOf.get(job);
      if (!reservation) {
        const again = settledAgain[unsettled.indexOf(job)];
        return again ?? { error: new Error(`Idempotency key of job ${job.summary.id} is neither claimed nor held`) };
      }
      if (reservation.reserved) return { ok: { created: true, job: job.summary } };
      if (reservation.sameRequest) return { ok: { created: false, jobId: reservation.jobId } };
      return { error: keyConflict([{ field: job.keyField, message: KEY_REUSED }]) };
    });
  }

  /**
   * Claims idempotency keys and writes records inside the caller's tenant transaction; any key
   * held with another payload rejects all. Redis is the caller's business (enqueue, or the outbox).
   */
  async recordIn(manager: EntityManager, tenantId: string, planned: PlannedJob[]): Promise<EnqueueOutcome[]> {
    const outcomes: EnqueueOutcome[] = [];
    const conflicts: FieldProblem[] = [];
    const keyed = planned.filter((job) => job.envelope.idempotencyKey && job.requestHash);
    const reservations = new Map(
      (await this.idempotency.reserveAll(
        manager,
        tenantId,
        keyed.map((job) => ({ key: job.envelope.idempotencyKey!, jobId: job.summary.id, requestHash: job.requestHash! })),
      )).map((reservation, index) => [keyed[index], reservation]),
    );
    for (const job of planned) {
      const reservation = reservations.get(job) ?? { reserved: true as const };
      if (reservation.reserved) {
        outcomes.push({ created: true, job: job.summary });
      } else if (reservation.sameRequest) {
        outcomes.push({ created: false, jobId: reservation.jobId });
      } else {
        conflicts.push({ field: job.keyField, message: KEY_REUSED });
      }
    }
    if (conflicts.length) throw keyConflict(conflicts);
    const records = planned.filter((job, index) => outcomes[index].created && job.record).map((job) => job.record!);
    if (records.length) await this.records.insertIn(manager, tenantId, records);
    return outcomes;
  }

  private async rollBack(tenantId: string, planned: PlannedJob[], added: Job<JobEnvelope>[]): Promise<void> {
    const removed = await Promise.all(added.map((job) => job.remove().then(() => true, () => false)));
    const running = new Set(added.filter((_, index) => !removed[index]).map((job) => String(job.id)));
    const undo = planned.filter((job) => !running.has(job.summary.id));
    await this.scope.run(tenantId, async (manager) => {
      for (const job of undo) {
        if (job.envelope.idempotencyKey) await this.idempotency.release(manager, job.envelope.idempotencyKey, job.summary.id);
      }
      const ids = undo.filter((job) => job.record).map((job) => job.summary.id);
      await this.records.deleteIn(manager, ids);
    });
  }
}

const KEY_REUSED = 'idempotencyKey was already used with a different request';

function keyConflict(details: FieldProblem[]): UnprocessableEntityException {
  return new UnprocessableEntityException({ message: 'Idempotency key reused with a different request', details });
}

/** What `recordIn` would write for the job: its idempotency key, its record. */
function writesInDatabase(job: PlannedJob): boolean {
  return Boolean(job.record || (job.envelope.idempotencyKey && job.requestHash));
}

/** The service's own submissions (follow-ups, alerts, ticks) are not a client's to limit. */
function quotaClaimsOf(planned: PlannedJob[]): QuotaClaim[] {
  return planned
    .filter((job) => job.envelope.origin === 'api')
    .map((job) => ({ jobId: job.summary.id, queue: job.summary.queue, bytes: estimatedBytes(job.envelope, job.options) }));
}

function groupByQueue(planned: PlannedJob[]): Map<QueueName, PlannedJob[]> {
  const groups = new Map<QueueName, PlannedJob[]>();
  for (const job of planned) {
    const group = groups.get(job.summary.queue);
    if (group) group.push(job);
    else groups.set(job.summary.queue, [job]);
  }
  return groups;
}
