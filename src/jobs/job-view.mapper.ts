import type { Job, JobStatus as BullState } from 'bull';
import type { JobRecord } from '../persistence/job-record.entity';
import type { QueueName } from '../job-definitions/queue-names';
import type { JobView } from './dto/job-views.dto';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import type { JobStatus } from '../job-definitions/job-status';
import { JOB_TYPES, JobType } from '../job-definitions/job-types';

export function viewOfRecord(record: JobRecord): JobView {
  return {
    id: record.id,
    tenantId: record.tenantId,
    queue: record.queue as QueueName,
    type: record.type as JobType,
    status: record.status,
    attempts: record.attempts,
    progress: record.progress,
    data: record.data,
    result: record.result ?? null,
    error: record.error,
    cancelRequested: record.cancelRequestedAt !== null,
    origin: record.origin,
    parentJobId: record.parentJobId,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  };
}

/** For jobs that live only in Redis (the background queue). */
export async function viewOfBullJob(found: Job<JobEnvelope>): Promise<JobView> {
  const status = statusOfBullState(await found.getState());
  // Read again after the state: a job that finished in between must not look done without its result.
  return viewOfBullJobIn((await found.queue.getJob(found.id)) ?? found, status);
}

/** A job read after its state was found (`status`), e.g. from a tenant's listing index. */
export function viewOfBullJobIn(job: Job<JobEnvelope>, status: JobStatus): JobView {
  const failed = status === 'failed';
  return {
    id: String(job.id),
    tenantId: job.data.tenantId,
    queue: JOB_TYPES[job.data.type].queue,
    type: job.data.type,
    status,
    // Bull counts only failed attempts; the running or successful one is added here.
    attempts: job.attemptsMade + (status === 'active' || status === 'completed' ? 1 : 0),
    progress: typeof job.progress() === 'number' ? job.progress() : 0,
    data: job.data.payload,
    result: status === 'completed' ? (job.returnvalue ?? null) : null,
    // Bull keeps only the message of Redis-only jobs; a failure with attempts left was permanent.
    error: failed
      ? {
          type: 'job_failed',
          message: job.failedReason ?? 'Job failed',
          permanent: job.attemptsMade < (job.opts.attempts ?? 1),
        }
      : null,
    cancelRequested: false,
    origin: job.data.origin ?? 'api',
    parentJobId: job.data.parentJobId ?? null,
    createdAt: new Date(job.timestamp),
    startedAt: job.processedOn ? new Date(job.processedOn) : null,
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : null,
  };
}

export function statusOfBullState(state: BullState | 'stuck'): JobStatus {
  switch (state) {
    case 'completed':
    case 'failed':
    case 'delayed':
    case 'active':
      return state;
    default:
      return 'waiting';
  }
}
