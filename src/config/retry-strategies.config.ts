import { JOB_TYPE_NAMES, JobType } from '../job-definitions/job-types';
import { BACKOFF_KINDS, RetryStrategy } from '../job-definitions/retry-strategy';

// The vocabulary lives with the job definitions (below config); readers of the configuration find it here too.
export { BACKOFF_KINDS, retryDelayMs } from '../job-definitions/retry-strategy';
export type { BackoffKind, RetryStrategy } from '../job-definitions/retry-strategy';

const MONEY: RetryStrategy = { attempts: 5, backoff: 'exponential', baseDelayMs: 2_000, maxDelayMs: 300_000 };

export const DEFAULT_RETRY_STRATEGIES: Record<JobType, RetryStrategy> = {
  'payment-process': MONEY,
  'refund-process': MONEY,
  // Blockhash expiry and RPC congestion clear within seconds; retry soon, but bounded.
  // A Stripe event can arrive before the payment job it names has finished; wait for it a few minutes.
  'stripe-event': { attempts: 6, backoff: 'exponential', baseDelayMs: 5_000, maxDelayMs: 120_000 },
  'nft-mint': { attempts: 6, backoff: 'exponential', baseDelayMs: 3_000, maxDelayMs: 120_000 },
  'nft-transfer': { attempts: 6, backoff: 'exponential', baseDelayMs: 3_000, maxDelayMs: 120_000 },
  'email-send': { attempts: 4, backoff: 'exponential', baseDelayMs: 5_000, maxDelayMs: 600_000 },
  'sms-send': { attempts: 4, backoff: 'exponential', baseDelayMs: 5_000, maxDelayMs: 600_000 },
  // The fan-out only reads endpoints and writes follow-ups: a database hiccup, retried soon.
  'webhook-event': { attempts: 5, backoff: 'exponential', baseDelayMs: 1_000, maxDelayMs: 60_000 },
  // Receivers are often down for minutes (deploys); keep trying for about an hour.
  'webhook-deliver': { attempts: 8, backoff: 'exponential', baseDelayMs: 10_000, maxDelayMs: 900_000 },
  'analytics-process': { attempts: 3, backoff: 'linear', baseDelayMs: 10_000, maxDelayMs: 60_000 },
  cleanup: { attempts: 2, backoff: 'fixed', baseDelayMs: 60_000, maxDelayMs: 60_000 },
  'scheduled-task': { attempts: 2, backoff: 'fixed', baseDelayMs: 30_000, maxDelayMs: 30_000 },
};

export class InvalidRetryStrategyError extends Error {}

/**
 * The strategies in force: the defaults, with per-type overrides from RETRY_STRATEGIES
 * (JSON such as {"payment-process":{"attempts":3}}). Throws one error naming every problem.
 */
export function resolveRetryStrategies(overridesJson?: string): Record<JobType, RetryStrategy> {
  let overrides: Record<string, Partial<RetryStrategy>> = {};
  if (overridesJson) {
    try {
      overrides = JSON.parse(overridesJson);
    } catch {
      throw new InvalidRetryStrategyError('RETRY_STRATEGIES is not valid JSON');
    }
  }
  const unknownTypes = Object.keys(overrides).filter((type) => !(JOB_TYPE_NAMES as string[]).includes(type));
  const strategies = Object.fromEntries(
    JOB_TYPE_NAMES.map((type) => [type, { ...DEFAULT_RETRY_STRATEGIES[type], ...overrides[type] }]),
  ) as Record<JobType, RetryStrategy>;
  const problems = [
    ...unknownTypes.map((type) => `RETRY_STRATEGIES names an unknown job type: ${type}`),
    ...validateRetryStrategies(strategies),
  ];
  if (problems.length) throw new InvalidRetryStrategyError(`Invalid retry strategies: ${problems.join('; ')}`);
  return strategies;
}

export function validateRetryStrategies(strategies: Record<JobType, RetryStrategy>): string[] {
  return JOB_TYPE_NAMES.flatMap((type) => {
    const strategy = strategies[type];
    const problems: string[] = [];
    if (!Number.isInteger(strategy.attempts) || strategy.attempts < 1 || strategy.attempts > 50) {
      problems.push(`${type}.attempts must be an integer from 1 to 50`);
    }
    if (!BACKOFF_KINDS.includes(strategy.backoff)) {
      problems.push(`${type}.backoff must be one of ${BACKOFF_KINDS.join(', ')}`);
    }
    if (!Number.isInteger(strategy.baseDelayMs) || strategy.baseDelayMs < 0) {
      problems.push(`${type}.baseDelayMs must be a non-negative integer`);
    }
    if (!Number.isInteger(strategy.maxDelayMs) || strategy.maxDelayMs < strategy.baseDelayMs) {
      problems.push(`${type}.maxDelayMs must be an integer no smaller than baseDelayMs`);
    }
    return problems;
  });
}
