import type { JobType } from './job-types';

/** What travels in Bull's job data: the payload plus who asked for it. */
export interface JobEnvelope {
  tenantId: string;
  type: JobType;
  payload: Record<string, unknown>;
  createdBy?: string;
  idempotencyKey?: string;
  /** Set by the runner at the first failure of a Redis-only job (persisted jobs keep it in PG). */
  firstFailedAt?: string;
}
