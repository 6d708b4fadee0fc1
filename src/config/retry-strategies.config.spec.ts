import { JobDeferral, PermanentJobError, TransientJobError } from '../job-definitions/job-errors';
import { jobBackoff } from '../job-definitions/retry-backoff';
import {
  DEFAULT_RETRY_STRATEGIES, InvalidRetryStrategyError, resolveRetryStrategies, RetryStrategy, retryDelayMs,
} from './retry-strategies.config';

const exponential: RetryStrategy = { attempts: 6, backoff: 'exponential', baseDelayMs: 1_000, maxDelayMs: 10_000 };

describe('retryDelayMs', () => {
  it('draws exponential delays with full jitter between 0 and base·2^(n-1), capped at the maximum', () => {
    for (const [attempt, bound] of [[1, 1_000], [2, 2_000], [3, 4_000], [4, 8_000], [5, 10_000], [9, 10_000]]) {
      expect(retryDelayMs(exponential, attempt, () => 0)).toBe(0);
      expect(retryDelayMs(exponential, attempt, () => 0.999999)).toBe(bound);
      expect(retryDelayMs(exponential, attempt, () => 0.5)).toBe(bound / 2);
      for (let sample = 0; sample < 200; sample += 1) {
        const delay = retryDelayMs(exponential, attempt);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('spreads exponential delays rather than repeating one value', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(exponential, 4)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('keeps fixed delays fixed and grows linear delays by the base up to the maximum', () => {
    const fixed: RetryStrategy = { attempts: 3, backoff: 'fixed', baseDelayMs: 700, maxDelayMs: 700 };
    const linear: RetryStrategy = { attempts: 9, backoff: 'linear', baseDelayMs: 1_000, maxDelayMs: 3_500 };
    expect([1, 2, 5].map((attempt) => retryDelayMs(fixed, attempt))).toEqual([700, 700, 700]);
    expect([1, 2, 3, 4, 8].map((attempt) => retryDelayMs(linear, attempt))).toEqual([1_000, 2_000, 3_000, 3_500, 3_500]);
  });
});

describe('jobBackoff (the Bull backoff strategy)', () => {
  const options = { strategy: { attempts: 3, backoff: 'fixed' as const, baseDelayMs: 250, maxDelayMs: 250 } };

  it('stops retries at once for permanent errors', () => {
    expect(jobBackoff(1, new PermanentJobError('card_declined', 'declined'), options)).toBe(-1);
  });

  it('waits exactly as long as a deferral asks', () => {
    expect(jobBackoff(1, new JobDeferral('rate_limited', 1_234), options)).toBe(1_234);
  });

  it('follows the strategy for transient and unknown errors', () => {
    expect(jobBackoff(2, new TransientJobError('timeout', 'slow'), options)).toBe(250);
    expect(jobBackoff(2, new Error('boom'), options)).toBe(250);
  });
});

describe('resolveRetryStrategies', () => {
  it('starts from a valid default for every job type', () => {
    expect(resolveRetryStrategies()).toEqual(DEFAULT_RETRY_STRATEGIES);
  });

  it('applies per-type overrides from JSON', () => {
    const strategies = resolveRetryStrategies('{"payment-process":{"attempts":2,"baseDelayMs":10}}');
    expect(strategies['payment-process']).toEqual({ ...DEFAULT_RETRY_STRATEGIES['payment-process'], attempts: 2, baseDelayMs: 10 });
    expect(strategies['refund-process']).toEqual(DEFAULT_RETRY_STRATEGIES['refund-process']);
  });

  it('names every problem in one error', () => {
    const attempt = () =>
      resolveRetryStrategies('{"payment-process":{"attempts":0,"backoff":"random"},"sms-send":{"baseDelayMs":500,"maxDelayMs":10},"fax-send":{}}');
    expect(attempt).toThrow(InvalidRetryStrategyError);
    expect(attempt).toThrow(/fax-send.*payment-process\.attempts.*payment-process\.backoff.*sms-send\.maxDelayMs/);
  });

  it('rejects JSON that does not parse', () => {
    expect(() => resolveRetryStrategies('{nope')).toThrow('RETRY_STRATEGIES is not valid JSON');
  });
});
