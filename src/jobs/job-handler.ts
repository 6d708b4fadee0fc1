import { DiscoveryService } from '@nestjs/core';
import type { JobType, PayloadOf } from './job-types';

/** What a handler knows of the job it runs, besides its payload. */
export interface JobContext {
  jobId: string;
  tenantId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  reportProgress(percent: number): Promise<void>;
}

/** The only per-type code: everything around it lives in the JobRunner. */
export interface JobHandler<T extends JobType, R extends object = object> {
  execute(payload: PayloadOf<T>, context: JobContext): Promise<R>;
}

/** Marks a provider as the handler of one job type; found at start-up by the JobHandlerRegistry. */
export const HandlesJob = DiscoveryService.createDecorator<JobType>();
