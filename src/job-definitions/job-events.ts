import type { ClassifiedError } from './job-errors';
import type { JobType } from './job-types';

/** Lifecycle events the JobRunner emits; metrics, alerts and webhooks listen to them. */
export const JOB_EVENTS = {
  started: 'job.started',
  completed: 'job.completed',
  failed: 'job.failed',
} as const;

export interface JobEventBase {
  jobId: string;
  tenantId: string;
  type: JobType;
  queue: string;
  attempt: number;
}

export interface JobCompletedEvent extends JobEventBase {
  durationMs: number;
  result: object;
}

export interface JobFailedEvent extends JobEventBase {
  durationMs: number;
  error: ClassifiedError;
  /** No further attempt will follow. */
  final: boolean;
  cancelled: boolean;
}
