export const BACKOFF_KINDS = ['exponential', 'fixed', 'linear'] as const;
export type BackoffKind = (typeof BACKOFF_KINDS)[number];

/**
 * How a job type retries transient failures. Exponential backoff uses full jitter (a random
 * delay up to the exponential bound), so that jobs failing together do not retry together.
 */
export interface RetryStrategy {
  attempts: number;
  backoff: BackoffKind;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The delay before the retry that follows failed attempt number `attemptsMade` (1-based).
 * `random` is injectable so that tests can pin the jitter.
 */
export function retryDelayMs(strategy: RetryStrategy, attemptsMade: number, random: () => number = Math.random): number {
  const { baseDelayMs, maxDelayMs } = strategy;
  switch (strategy.backoff) {
    case 'fixed':
      return baseDelayMs;
    case 'linear':
      return Math.min(maxDelayMs, baseDelayMs * attemptsMade);
    case 'exponential': {
      const bound = Math.min(maxDelayMs, baseDelayMs * 2 ** (attemptsMade - 1));
      return Math.round(random() * bound);
    }
  }
}
