import { ConflictException, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Job, JobOptions } from 'bull';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../common/auth/auth-user';
import { ValidationFailedException } from '../common/errors/error-response';
import { QUEUE_DEFINITIONS } from '../config/queues.config';
import type { JobRecord } from '../database/entities/job-record.entity';
import { JobRecords, NewJobRecord } from '../persistence/job-records';
import type { QueueName } from '../queues/queue-names';
import { QueueRegistry } from '../queues/queue-registry';
import { CancellationFlags } from './cancellation-flags';
import type { SubmitJobRequest } from './dto/submit-job.dto';
import type { JobSummary, JobView } from './dto/job-views.dto';
import type { JobEnvelope } from './job-envelope';
import { BULL_PRIORITY, JobStatus } from './job-status';
import { duplicateKeyProblems, validatePayload } from './job-submissions';
import { isPersistedQueue, JOB_TYPES, JobType } from './job-types';
import { viewOfBullJob, viewOfRecord } from './job-view.mapper';

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
}

interface PlannedJob {
  summary: JobSummary;
  envelope: JobEnvelope;
  options: JobOptions;
  record?: NewJobRecord;
}

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly queues: QueueRegistry,
    private readonly records: JobRecords,
    private readonly cancellations: CancellationFlags,
  ) {}

  async submit(user: AuthUser, request: SubmitJobRequest): Promise<Submission> {
    const { payload, problems } = await validatePayload(request, 'data');
    if (problems.length) throw new ValidationFailedException(problems);
    const existing = await this.findByIdempotencyKey(user, request);
    if (existing) return { job: existing, created: false };
    const planned = this.plan(user, request, payload);
    try {
      await this.enqueue(user, [planned]);
    } catch (error) {
      // Another request with the same key won the race: answer with its job.
      const winner = isUniqueViolation(error) ? await this.findByIdempotencyKey(user, request) : null;
      if (winner) return { job: winner, created: false };
      throw error;
    }
    return { job: planned.summary, created: true };
  }

  /** All or nothing: one bad item rejects the batch, naming each bad item by index and field. */
  async submitBatch(user: AuthUser, requests: SubmitJobRequest[]): Promise<Submission[]> {
    const validated = await Promise.all(requests.map((request, index) => validatePayload(request, `jobs.${index}.data`)));
    const problems = [...validated.flatMap((item) => item.problems), ...duplicateKeyProblems(requests)];
    if (problems.length) throw new ValidationFailedException(problems);

    const outcomes: Submission[] = [];
    const toEnqueue: PlannedJob[] = [];
    for (const [index, request] of requests.entries()) {
      const existing = await this.findByIdempotencyKey(user, request);
      if (existing) {
        outcomes.push({ job: existing, created: false });
        continue;
      }
      const planned = this.plan(user, request, validated[index].payload);
      toEnqueue.push(planned);
      outcomes.push({ job: planned.summary, created: true });
    }
    try {
      await this.enqueue(user, toEnqueue);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException('An idempotency key of this batch was used by a concurrent request; resubmit the batch');
      }
      throw error;
    }
    return outcomes;
  }

  async get(user: AuthUser, id: string): Promise<JobView> {
    const record = await this.records.find(user.tenantId, id);
    if (record) return viewOfRecord(record);
    const job = await this.findRedisOnlyJob(user, id);
    if (job) return viewOfBullJob(job);
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
    if (!(await this.tryRemove(stale))) throw new ConflictException(`Job ${jobId} is running`);
    await this.cancellations.clear(jobId);
    const envelope: JobEnvelope = stale?.data ?? {
      tenantId,
      type,
      payload: request.data,
      ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
    };
    const options: JobOptions = { ...(stale?.opts ?? {}), jobId, delay: 0 };
    if (definition.persisted) {
      const record = await this.records.find(tenantId, jobId);
      if (record) {
        await this.records.markRequeued(tenantId, jobId);
        options.priority ??= record.priority;
        options.attempts ??= record.maxAttempts;
      } else {
        // The record was cleaned up since the job failed (a dead-letter retry): write it anew.
        await this.records.insert(tenantId, [{
          id: jobId,
          queue: definition.queue,
          type,
          status: 'waiting',
          priority: options.priority ?? BULL_PRIORITY.normal,
          data: request.data,
          maxAttempts: options.attempts ?? QUEUE_DEFINITIONS[definition.queue].defaultJobOptions.attempts ?? 1,
          idempotencyKey: request.idempotencyKey ?? null,
          createdBy: null,
          runAt: null,
        }]);
      }
    }
    await queue.add(type, envelope, options);
    return { id: jobId, queue: definition.queue, type, status: 'waiting' };
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
      return { ...summary, status: 'cancelled', cancelRequested: false };
    }
    await this.cancellations.request(id);
    if (persisted) await this.records.markCancelRequested(user.tenantId, id);
    return { ...summary, status: 'active', cancelRequested: true };
  }

  private plan(user: AuthUser, request: SubmitJobRequest, payload: Record<string, unknown>): PlannedJob {
    const id = randomUUID();
    const definition = JOB_TYPES[request.type];
    const delay = request.options?.delay ?? 0;
    const status: JobStatus = delay > 0 ? 'delayed' : 'waiting';
    const priority = BULL_PRIORITY[request.options?.priority ?? 'normal'];
    const idempotencyKey = request.options?.idempotencyKey;
    const options: JobOptions = {
      jobId: id,
      priority,
      delay,
      ...(request.options?.attempts ? { attempts: request.options.attempts } : {}),
    };
    const envelope: JobEnvelope = {
      tenantId: user.tenantId,
      type: request.type,
      payload,
      createdBy: user.userId,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    const summary: JobSummary = { id, queue: definition.queue, type: request.type, status };
    if (!definition.persisted) return { summary, envelope, options };
    const maxAttempts = options.attempts ?? QUEUE_DEFINITIONS[definition.queue].defaultJobOptions.attempts ?? 1;
    const record: NewJobRecord = {
      id,
      queue: definition.queue,
      type: request.type,
      status,
      priority,
      data: payload,
      maxAttempts,
      idempotencyKey: idempotencyKey ?? null,
      createdBy: user.userId,
      runAt: delay > 0 ? new Date(Date.now() + delay) : null,
    };
    return { summary, envelope, options, record };
  }

  /**
   * Records first, then Redis: a job Redis has is always on record. If Redis refuses, the
   * records of jobs that never reached it are removed and the client is told to try again.
   */
  private async enqueue(user: AuthUser, planned: PlannedJob[]): Promise<void> {
    const records = planned.flatMap((job) => (job.record ? [job.record] : []));
    if (records.length) await this.records.insert(user.tenantId, records);
    const added: Job<JobEnvelope>[] = [];
    try {
      for (const [queue, jobs] of groupByQueue(planned)) {
        const bulk = jobs.map((job) => ({ name: job.envelope.type, data: job.envelope, opts: job.options }));
        added.push(...(await this.queues.get(queue).addBulk(bulk)));
      }
    } catch (error) {
      this.logger.error({ err: error, tenantId: user.tenantId }, 'Redis refused jobs; rolling back the submission');
      await this.rollBack(user, planned, added);
      throw new ServiceUnavailableException('The queue is unavailable; nothing was enqueued, try again');
    }
  }

  private async rollBack(user: AuthUser, planned: PlannedJob[], added: Job<JobEnvelope>[]): Promise<void> {
    const removed = await Promise.all(added.map((job) => this.tryRemove(job)));
    const stillQueued = new Set(added.filter((_, index) => !removed[index]).map((job) => String(job.id)));
    const recordIds = planned.flatMap((job) => (job.record && !stillQueued.has(job.record.id) ? [job.record.id] : []));
    if (recordIds.length) await this.records.delete(user.tenantId, recordIds);
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

  private async findByIdempotencyKey(user: AuthUser, request: SubmitJobRequest): Promise<JobSummary | null> {
    const key = request.options?.idempotencyKey;
    if (!key || !JOB_TYPES[request.type].persisted) return null;
    const record: JobRecord | null = await this.records.findByIdempotencyKey(user.tenantId, key);
    return record ? { id: record.id, queue: record.queue as QueueName, type: record.type as JobType, status: record.status } : null;
  }

  private async findRedisOnlyJob(user: AuthUser, id: string): Promise<Job<JobEnvelope> | null> {
    for (const { name, queue } of this.queues.all()) {
      if (isPersistedQueue(name)) continue;
      const job = await queue.getJob(id);
      if (job && job.data.tenantId === user.tenantId) return job;
    }
    return null;
  }
}

function groupByQueue(planned: PlannedJob[]): Map<QueueName, PlannedJob[]> {
  const groups = new Map<QueueName, PlannedJob[]>();
  for (const job of planned) {
    groups.set(job.summary.queue, [...(groups.get(job.summary.queue) ?? []), job]);
  }
  return groups;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string }; code?: string })?.driverError?.code === UNIQUE_VIOLATION;
}
