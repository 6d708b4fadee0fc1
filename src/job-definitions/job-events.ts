import type { JobOrigin } from './job-envelope';
import type { ClassifiedError } from './job-errors';
import type { JobType } from './job-types';

/** Lifecycle events the JobRunner emits; metrics, alerts and webhooks listen to them. */
export const JOB_EVENTS = {
  started: 'job.started',
  completed: 'job.completed',
  failed: 'job.failed',
} as const;

/** Which attempt of which job: what spans and log lines name (never payload values). */
export interface JobAttemptIdentity {
  jobId: string;
  tenantId: string;
  type: JobType;
  queue: string;
  attempt: number;
}

export interface JobEventBase extends JobAttemptIdentity {
  /** Who asked for the job (absent on jobs enqueued before origins existed: the API). */
  origin?: JobOrigin;
  /**
   * When the job became due (Bull's add time plus its delay, epoch ms): the wait-time metric.
   * Absent when Bull gave no time.
   */
  dueAt?: number;
  /**
   * The payload as delivered, for listeners that read bounded facts of it (a payment's
   * currency and amount). Never copy its values into labels, spans or logs.
   */
  data: Readonly<Record<string, unknown>>;
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

/** A tick of a Bull repeatable job, announced before it runs; the schedules module listens. */
export const SCHEDULE_EVENTS = { tick: 'schedule.tick' } as const;

export interface ScheduleTickEvent {
  /** The repeatable's key (its `jobId` option): `schedule-<id>` for schedules made through the API. */
  key: string;
  tenantId: string;
  type: JobType;
  /** The time the tick was due (Bull's `prevMillis`). */
  tickAt: Date;
  /** The job the tick runs as: the derived job of a persisted type, or the tick itself. */
  jobId: string;
}

/** A listener's answer to a tick: `skip` when the schedule says a missed tick is not made up. */
export type ScheduleTickVerdict = 'run' | 'skip' | undefined;
