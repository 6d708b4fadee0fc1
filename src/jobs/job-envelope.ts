import type { JobType } from './job-types';

/** What travels in Bull's job data: the payload plus who asked for it. */
export interface JobEnvelope {
  tenantId: string;
  type: JobType;
  payload: Record<string, unknown>;
  createdBy?: string;
  idempotencyKey?: string;
}
