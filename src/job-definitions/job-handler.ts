import { DiscoveryService } from '@nestjs/core';
import type { JobPriority } from './job-status';
import type { JobType, PayloadOf } from './job-types';
import type { ProviderKey } from './provider-key';

/** A job to enqueue once this one completes; `name` is unique within the parent. */
export interface FollowUpRequest<T extends JobType = JobType> {
  name: string;
  type: T;
  data: PayloadOf<T> | Record<string, unknown>;
  options?: { priority?: JobPriority; delay?: number };
}

/** What a handler knows of the job it runs, besides its payload. */
export interface JobContext {
  jobId: string;
  tenantId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /**
   * The key of one external step, for the provider (Stripe's Idempotency-Key, a Message-ID):
   * derived from the tenant, the job and `step` by `providerKeyFor`, the same on every re-run
   * of this job (and a dead-letter retry). The client's idempotencyKey never reaches a handler.
   */
  providerKey(step: string): ProviderKey;
  reportProgress(percent: number): Promise<void>;
  /**
   * Runs an external step once: when an earlier run of this job recorded `name`, answers its
   * recorded outcome without running `work` again. Persisted jobs only journal; others just run.
   */
  step<T extends object>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * A follow-up job, enqueued only if this job completes: it is written with the completion, in
   * the same transaction, so it is neither lost nor doubled by a crash. Validated like a
   * submitted job; an invalid one fails this job for good.
   */
  enqueue<T extends JobType>(followUp: FollowUpRequest<T>): Promise<void>;
}

/** The only per-type code: everything around it lives in the JobRunner. */
export interface JobHandler<T extends JobType, R extends object = object> {
  execute(payload: PayloadOf<T>, context: JobContext): Promise<R>;
}

/** Marks a provider as the handler of one job type; found at start-up by the JobHandlerRegistry. */
export const HandlesJob = DiscoveryService.createDecorator<JobType>();
