import { RetryStrategy, retryDelayMs } from './retry-strategy';
import { JobDeferral, isPermanent } from './job-errors';

/** The name of our Bull backoff strategy; every job's `backoff` option points at it. */
export const JOB_BACKOFF = 'job-strategy';

export interface JobBackoffOptions {
  strategy: RetryStrategy;
}

/**
 * Bull asks this after each failed attempt for the delay before the next one. -1 tells Bull
 * not to retry: permanent errors fail at once, whatever attempts remain. A deferral waits
 * exactly as long as it asks.
 */
export function jobBackoff(attemptsMade: number, error: unknown, options: JobBackoffOptions | null): number {
  if (error instanceof JobDeferral) return error.delayMs;
  if (isPermanent(error)) return -1;
  if (!options?.strategy) return 0;
  return retryDelayMs(options.strategy, attemptsMade);
}
