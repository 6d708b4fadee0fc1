import { Injectable } from '@nestjs/common';
import { ValidationFailedException } from '../common/errors/error-response';
import { AppConfig } from '../config/app-config';
import { QueueRegistry } from '../queue-store/queue-registry';
import type { JobOptionsDto, SubmitJobRequest } from './dto/submit-job.dto';
import { JobEnqueuer } from './job-enqueuer';
import type { JobEnvelope, JobOrigin } from '../job-definitions/job-envelope';
import { retryOptionsFor } from './job-options';
import { validatePayload } from './job-submissions';
import { JOB_TYPES, JobType } from '../job-definitions/job-types';

/** A job the service submits for itself: no user, but a tenant and an origin, validated like any other. */
export interface SystemJobRequest {
  tenantId: string;
  origin: Exclude<JobOrigin, 'api'>;
  type: JobType;
  data: Record<string, unknown>;
  options?: JobOptionsDto;
  /** Fixes the job id, for submissions that must come out the same however often they are repeated. */
  id?: string;
}

/** When a repeatable job fires: a cron expression in a time zone, or every so many milliseconds. */
export type RepeatSchedule = { key: string } & ({ cron: string; tz?: string } | { every: number });

/**
 * Submissions without a user: schedules, alerts, webhooks and the like. Internal job types are
 * allowed here and only here; everything else is the API's path (records, keys, Redis).
 */
@Injectable()
export class SystemSubmissions {
  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly enqueuer: JobEnqueuer,
  ) {}

  async submit(request: SystemJobRequest): Promise<{ jobId: string; created: boolean }> {
    const submission: SubmitJobRequest = { type: request.type, data: request.data, options: request.options };
    const { payload, problems } = await validatePayload(submission, 'data');
    if (problems.length) throw new ValidationFailedException(problems);
    const submitter = { tenantId: request.tenantId, userId: null, origin: request.origin };
    const planned = this.enqueuer.plan(submitter, submission, payload, 'options.idempotencyKey', request.id);
    const [outcome] = await this.enqueuer.enqueue(request.tenantId, [planned]);
    return outcome.created ? { jobId: outcome.job.id, created: true } : { jobId: outcome.jobId, created: false };
  }

  /**
   * A Bull repeatable job. Each tick of a persisted type becomes a job with its own record
   * (see ScheduleTicks); a tick of a Redis-only type runs as it is.
   */
  async repeat(request: Omit<SystemJobRequest, 'id' | 'options'>, schedule: RepeatSchedule): Promise<void> {
    const { payload, problems } = await validatePayload({ type: request.type, data: request.data }, 'data');
    if (problems.length) throw new ValidationFailedException(problems);
    const envelope: JobEnvelope = { tenantId: request.tenantId, type: request.type, payload, origin: request.origin };
    const repeat = 'cron' in schedule ? { cron: schedule.cron, tz: schedule.tz } : { every: schedule.every };
    await this.queues.get(JOB_TYPES[request.type].queue).add(request.type, envelope, {
      jobId: schedule.key,
      repeat,
      ...retryOptionsFor(this.config, request.type),
    });
  }
}
