import type { JobType } from './job-types';

/** Who asked for a job. Clients submit over the API; the service submits for the other three. */
export const JOB_ORIGINS = ['api', 'schedule', 'system', 'follow-up'] as const;
export type JobOrigin = (typeof JOB_ORIGINS)[number];

/** Service-wide work has no tenant of its own: the nil UUID stands for the service. */
export const SERVICE_TENANT_ID = '00000000-0000-0000-0000-000000000000';

/** What travels in Bull's job data: the payload plus who asked for it. */
export interface JobEnvelope {
  tenantId: string;
  type: JobType;
  payload: Record<string, unknown>;
  createdBy?: string;
  /** Absent on jobs enqueued before origins existed: those came from the API. */
  origin?: JobOrigin;
  /** The job whose completion enqueued this one. */
  parentJobId?: string;
  idempotencyKey?: string;
  /**
   * W3C trace context of the submission (the request, or the parent attempt of a follow-up):
   * every attempt's span is its child, so a retry an hour later joins the same trace.
   */
  traceparent?: string;
  /** Set by the runner at the first failure of a Redis-only job (persisted jobs keep it in PG). */
  firstFailedAt?: string;
}
