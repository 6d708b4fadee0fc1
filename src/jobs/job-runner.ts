import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Job } from 'bull';
import { plainToInstance } from 'class-transformer';
import { JobRecords } from '../persistence/job-records';
import { CancellationFlags } from './cancellation-flags';
import type { JobEnvelope } from './job-envelope';
import { classifyError, ClassifiedError } from './job-errors';
import { JOB_EVENTS, JobCompletedEvent, JobEventBase, JobFailedEvent } from './job-events';
import { JobContext } from './job-handler';
import { JobHandlerRegistry } from './job-handler-registry';
import { JOB_TYPES, payloadClassOf, PayloadOf } from './job-types';

/**
 * The one pipeline every job runs in. Handlers hold only their type's work; status in the
 * `jobs` table, cancellation, error classification and lifecycle events live here once.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger(JobRunner.name);

  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly records: JobRecords,
    private readonly cancellations: CancellationFlags,
    private readonly events: EventEmitter2,
  ) {}

  async run(job: Job<JobEnvelope>): Promise<object> {
    const { tenantId, type } = job.data;
    const definition = JOB_TYPES[type];
    const jobId = String(job.id);
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const persisted = definition.persisted;
    const base: JobEventBase = { jobId, tenantId, type, queue: definition.queue, attempt };
    const startedAt = Date.now();

    if (await this.cancellations.isRequested(jobId)) {
      return this.finishCancelled(job, base, persisted);
    }
    if (persisted) await this.records.markActive(tenantId, jobId, attempt);
    this.events.emit(JOB_EVENTS.started, base);

    const context: JobContext = {
      jobId,
      tenantId,
      attempt,
      maxAttempts,
      reportProgress: async (percent) => {
        const bounded = Math.max(0, Math.min(100, Math.round(percent)));
        await job.progress(bounded);
        if (persisted) await this.records.markProgress(tenantId, jobId, bounded);
      },
    };

    try {
      const payload = plainToInstance(payloadClassOf(type), job.data.payload) as PayloadOf<typeof type>;
      const result = await this.handlers.get(type).execute(payload, context);
      if (persisted) await this.records.markCompleted(tenantId, jobId, result);
      const event: JobCompletedEvent = { ...base, durationMs: Date.now() - startedAt, result };
      this.events.emit(JOB_EVENTS.completed, event);
      return result;
    } catch (error) {
      await this.recordFailure(job, base, classifyError(error), Date.now() - startedAt);
      throw error;
    }
  }

  private async recordFailure(
    job: Job<JobEnvelope>,
    base: JobEventBase,
    error: ClassifiedError,
    durationMs: number,
  ): Promise<void> {
    const cancelled = await this.cancellations.isRequested(base.jobId);
    const outOfAttempts = base.attempt >= (job.opts.attempts ?? 1);
    const final = error.permanent || cancelled || outOfAttempts;
    // discard() makes Bull fail the job now, whatever attempts it has left.
    if (final && !outOfAttempts) job.discard();
    if (JOB_TYPES[base.type].persisted) {
      const status = cancelled ? 'cancelled' : final ? 'failed' : job.opts.backoff ? 'delayed' : 'waiting';
      await this.records.markFailedAttempt(base.tenantId, base.jobId, status, error);
    }
    const level = final ? 'warn' : 'log';
    this.logger[level](
      { jobId: base.jobId, tenantId: base.tenantId, type: base.type, attempt: base.attempt, errorType: error.type },
      final ? 'Job failed for good' : 'Job attempt failed; it will be retried',
    );
    const event: JobFailedEvent = { ...base, durationMs, error, final, cancelled };
    this.events.emit(JOB_EVENTS.failed, event);
  }

  private async finishCancelled(job: Job<JobEnvelope>, base: JobEventBase, persisted: boolean): Promise<never> {
    job.discard();
    if (persisted) await this.records.markCancelled(base.tenantId, base.jobId);
    const error: ClassifiedError = { type: 'cancelled', message: 'Job was cancelled', permanent: true };
    this.events.emit(JOB_EVENTS.failed, { ...base, durationMs: 0, error, final: true, cancelled: true });
    throw new Error(error.message);
  }
}
