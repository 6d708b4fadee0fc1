import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Job, JobOptions } from 'bull';
import { queueCacheKeys } from '../cache/cache-keys';
import { ServiceCache } from '../cache/service-cache';
import type { AuthUser } from '../common/auth/auth-user';
import { ValidationFailedException } from '../common/errors/error-response';
import { AppConfig } from '../config/app-config';
import { JobRecords, type NewJobRecord } from '../persistence/job-records';
import { QueueRegistry } from '../queue-store/queue-registry';
import { TenantJobIndex } from '../queue-store/tenant-job-index';
import { CancellationFlags } from './cancellation-flags';
import type { SubmitJobRequest } from './dto/submit-job.dto';
import type { JobSummary, JobView } from './dto/job-views.dto';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { EnqueueOutcome, JobEnqueuer, Submitter } from './job-enqueuer';
import { retryOptionsFor } from './job-options';
import { traceparentForNewJob } from './job-tracing';
import { BULL_PRIORITY, type JobStatus } from '../job-definitions/job-status';
import { RequeueClaims } from './requeue-claims';
import { duplicateKeyProblems, validatePayload } from './job-submissions';
import { RefundAdmission } from './refund-admission';
import { fieldsOfJob, refuseUnlessAllowed, submissionRefusals } from './submission-authorization';
import { isPersistedQueue, JOB_TYPES, JobType } from '../job-definitions/job-types';
import { viewOfBullJob, viewOfRecord } from './job-view.mapper';
import { maySeeJobOfTenant } from './job-visibility';

export interface Submission {
  job: JobSummary;
  /** False when an earlier job with the same idempotency key was returned instead. */
  created: boolean;
}

export interface RequeueRequest {
  tenantId: string;
  jobId: string;
  type: JobType;
  data: Record<string, unknown>;
  idempotencyKey?: string | null;
  /** The statuses a persisted record may be in to be requeued (its claim is guarded by them); `failed` by default. */
  from?: readonly JobStatus[];
}

@Injectable()
export class JobsService {
  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly records: JobRecords,
    private readonly cancellations: CancellationFlags,
    private readonly enqueuer: JobEnqueuer,
    private readonly cache: ServiceCache,
    private readonly tenantJobs: TenantJobIndex,
    private readonly refunds: RefundAdmission,
    private readonly requeueClaims: RequeueClaims,
  ) {}

  async submit(user: AuthUser, request: SubmitJobRequest): Promise<Submission> {
    refuseUnlessAllowed(submissionRefusals(user.roles, askedBy(request), fieldsOfJob()));
    const { payload, problems } = await validatePayload(request, 'data');
    if (problems.length) throw new ValidationFailedException(problems);
    await this.refunds.check(user.tenantId, [{ request, payload, dataField: 'data' }]);
    const planned = this.enqueuer.plan(submitterOf(user), request, payload, 'options.idempotencyKey');
    const [outcome] = await this.enqueuer.enqueue(user.tenantId, [planned]);
    return this.toSubmission(user, outcome, planned.keyField);
  }

  /** All or nothing: one bad item rejects the batch, naming each bad item by index and field. */
  async submitBatch(user: AuthUser, requests: SubmitJobRequest[]): Promise<Submission[]> {
    refuseUnlessAllowed(requests.flatMap((request, index) => submissionRefusals(user.roles, askedBy(request), fieldsOfJob(`jobs.${index}.`))));
    const validated = await Promise.all(requests.map((request, index) => validatePayload(request, `jobs.${index}.data`)));
    const problems = [...validated.flatMap((item) => item.problems), ...duplicateKeyProblems(requests)];
    if (problems.length) throw new ValidationFailedException(problems);
    await this.refunds.check(user.tenantId, requests.map((request, index) => ({ request, payload: validated[index].payload, dataField: `jobs.${index}.data` })));
    const planned = requests.map((request, index) =>
      this.enqueuer.plan(submitterOf(user), request, validated[index].payload, `jobs.${index}.options.idempotencyKey`),
    );
    const outcomes = await this.enqueuer.enqueue(user.tenantId, planned);
    return Promise.all(outcomes.map((outcome, index) => this.toSubmission(user, outcome, planned[index].keyField)));
  }

  /**
   * A job of the caller's tenant that the caller may see (a user: only one it submitted).
   * Any other answers 404, exactly as a missing id does. Retry and cancel look jobs up here too.
   */
  async get(user: AuthUser, id: string): Promise<JobView> {
    const record = await this.records.find(user.tenantId, id);
    if (record && maySeeJobOfTenant(user, record.createdBy)) return viewOfRecord(record);
    const job = record ? null : await this.findRedisOnlyJob(user.tenantId, id);
    if (job && maySeeJobOfTenant(user, job.data.createdBy)) return viewOfBullJob(job);
    throw new NotFoundException(`Job ${id} not found`);
  }

  /** Runs a failed job again from its first attempt, under the same id. */
  async retry(user: AuthUser, id: string): Promise<JobSummary> {
    const current = await this.get(user, id);
    if (current.status !== 'failed') {
      throw new ConflictException(`Only failed jobs can be retried; job ${id} is ${current.status}`);
    }
    return this.requeue({ tenantId: user.tenantId, jobId: id, type: current.type, data: current.data });
  }

  /**
   * Puts a finished job back in its queue under its own id, from its first attempt, keeping
   * its idempotency key (job retry and dead-letter retry both come here).
   */
  async requeue(request: RequeueRequest): Promise<JobSummary> {
    const { tenantId, jobId, type } = request;
    const definition = JOB_TYPES[type];
    const queue = this.queues.get(definition.queue);
    const stale = await queue.getJob(jobId);
    const record = definition.persisted ? await this.records.find(tenantId, jobId) : null;
    const idempotencyKey = stale?.data.idempotencyKey ?? record?.idempotencyKey ?? request.idempotencyKey ?? undefined;
    const options: JobOptions = {
      ...retryOptionsFor(this.config, type, stale?.opts.attempts ?? record?.maxAttempts),
      priority: stale?.opts.priority ?? record?.priority ?? BULL_PRIORITY.normal,
      jobId,
    };
    // Claimed before anything is removed, so that of concurrent retries exactly one goes on.
    const release = await this.claimForRequeue(request, stale, record !== null, () => ({
      id: jobId,
      queue: definition.queue,
      type,
      status: 'waiting',
      priority: options.priority ?? BULL_PRIORITY.normal,
      data: request.data,
      maxAttempts: options.attempts ?? 1,
      idempotencyKey: idempotencyKey ?? null,
      createdBy: stale?.data.createdBy ?? null,
      origin: stale?.data.origin ?? 'api',
      parentJobId: stale?.data.parentJobId ?? null,
      runAt: null,
    }));
    if (!(await this.removeWhenSettled(stale))) {
      await release();
      throw new ConflictException(`Job ${jobId} is running`);
    }
    await this.cancellations.clear(jobId);
    const { firstFailedAt: _previousFailure, ...previous } = stale?.data ?? { tenantId, type, payload: request.data };
    // A retry joins the job's trace while Bull still holds it, else the trace of the request that asks.
    const envelope: JobEnvelope = {
      ...previous,
      traceparent: previous.traceparent ?? traceparentForNewJob(),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    if (record) await this.records.markRequeued(tenantId, jobId);
    await this.tenantJobs.add(definition.queue, [await queue.add(type, envelope, options)]);
    await this.cache.invalidate(...queueCacheKeys(definition.queue));
    return { id: jobId, queue: definition.queue, type, status: 'waiting' };
  }

  /**
   * The requeue guard: a persisted job's record is claimed by a status-guarded update (or, when
   * it was cleaned up since the job failed, written anew if absent); a Redis-only job's finished
   * run by a key in Redis. The loser of a race gets 409. Returns how to give the claim back.
   */
  private async claimForRequeue(
    request: RequeueRequest, stale: Job<JobEnvelope> | null, hasRecord: boolean, newRecord: () => NewJobRecord,
  ): Promise<() => Promise<void>> {
    const { tenantId, jobId, type } = request;
    if (!JOB_TYPES[type].persisted) {
      if (!(await this.requeueClaims.claim(jobId, stale))) throw retriedElsewhere(jobId);
      return async () => undefined;
    }
    if (hasRecord) {
      const previous = await this.records.claimForRequeue(tenantId, jobId, request.from ?? ['failed']);
      if (!previous) throw retriedElsewhere(jobId);
      return () => this.records.releaseRequeueClaim(tenantId, jobId, previous);
    }
    if (!(await this.records.insertForRequeue(tenantId, newRecord()))) throw retriedElsewhere(jobId);
    return () => this.records.deleteRequeued(tenantId, jobId);
  }

  /**
   * A waiting or delayed job is removed from its queue; a running one is flagged, finishes
   * its current attempt and is not retried.
   */
  async cancel(user: AuthUser, id: string): Promise<JobSummary & { cancelRequested: boolean }> {
    const current = await this.get(user, id);
    const summary = { id, queue: current.queue, type: current.type };
    if (!['waiting', 'delayed', 'active'].includes(current.status)) {
      throw new ConflictException(`Job ${id} is already ${current.status}`);
    }
    const persisted = JOB_TYPES[current.type].persisted;
    const job = await this.queues.get(current.queue).getJob(id);
    if (current.status !== 'active' && (await this.tryRemove(job))) {
      if (persisted) await this.records.markCancelled(user.tenantId, id);
      await this.cache.invalidate(...queueCacheKeys(current.queue));
      return { ...summary, status: 'cancelled', cancelRequested: false };
    }
    await this.cancellations.request(id);
    if (persisted) await this.records.markCancelRequested(user.tenantId, id);
    return { ...summary, status: 'active', cancelRequested: true };
  }

  /**
   * The record says a job failed a moment before Bull lets go of it (the runner books the
   * failure first), so a retry right after may find it still locked for a few milliseconds.
   */
  private async removeWhenSettled(job: Job<JobEnvelope> | null): Promise<boolean> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (await this.tryRemove(job)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  private async tryRemove(job: Job<JobEnvelope> | null): Promise<boolean> {
    if (!job) return true;
    try {
      await job.remove();
      return true;
    } catch {
      // Locked: a worker has started it.
      return false;
    }
  }

  /**
   * An earlier job holds the key: answer with it (404 only if it vanished, e.g. rolled back just
   * now). Keys are the tenant's; a user whose key holds another user's job is told the key is
   * taken (as for another payload), not shown that job.
   */
  private async toSubmission(user: AuthUser, outcome: EnqueueOutcome, keyField: string): Promise<Submission> {
    if (outcome.created) return { job: outcome.job, created: true };
    try {
      const { id, queue, type, status } = await this.get(user, outcome.jobId);
      return { job: { id, queue, type, status }, created: false };
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
      if (await this.existsInTenant(user.tenantId, outcome.jobId)) {
        throw new UnprocessableEntityException({
          message: 'Idempotency key reused with a different request',
          details: [{ field: keyField, message: 'idempotencyKey was already used by another submitter of this tenant' }],
        });
      }
      throw new ConflictException('A request with this idempotency key is still being accepted; try again shortly');
    }
  }

  private async existsInTenant(tenantId: string, id: string): Promise<boolean> {
    return (await this.records.find(tenantId, id)) !== null || (await this.findRedisOnlyJob(tenantId, id)) !== null;
  }

  private async findRedisOnlyJob(tenantId: string, id: string): Promise<Job<JobEnvelope> | null> {
    for (const { name, queue } of this.queues.all()) {
      if (isPersistedQueue(name)) continue;
      const job = await queue.getJob(id);
      if (job && job.data.tenantId === tenantId) return job;
    }
    return null;
  }
}

function retriedElsewhere(jobId: string): ConflictException {
  return new ConflictException(`Job ${jobId} is being retried by another request, or is no longer finished`);
}

function submitterOf(user: AuthUser): Submitter {
  return { tenantId: user.tenantId, userId: user.userId, origin: 'api' };
}

function askedBy(request: SubmitJobRequest) {
  return { type: request.type, data: request.data, priority: request.options?.priority };
}
