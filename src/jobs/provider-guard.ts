import { Injectable } from '@nestjs/common';
import { CircuitBreakers } from '../rate-limit/circuit-breakers';
import type { ProviderName } from '../job-definitions/provider-names';
import { ProviderRateLimiter } from '../rate-limit/provider-rate-limiter';
import { ProviderUnavailableError } from '../rate-limit/provider-unavailable.error';
import { JobDeferral } from '../job-definitions/job-errors';

/**
 * The pipeline step between a job and its provider: a token from the provider's shared
 * bucket, then the provider's circuit breaker. A job that gets no token, or meets an open
 * breaker, is deferred (not failed, not dead-lettered, no attempt used).
 */
@Injectable()
export class ProviderGuard {
  constructor(
    private readonly limiter: ProviderRateLimiter,
    private readonly breakers: CircuitBreakers,
  ) {}

  async run<T>(provider: ProviderName | undefined, work: () => Promise<T>): Promise<T> {
    if (!provider) return work();
    const token = await this.limiter.acquire(provider);
    if (!token.granted) throw new JobDeferral(`${provider} rate limit`, token.waitMs);
    try {
      return await this.breakers.run(provider, work);
    } catch (error) {
      if (error instanceof ProviderUnavailableError) {
        // The work never reached the provider: its token goes back to the bucket.
        await this.limiter.release(provider);
        throw new JobDeferral(`${provider} circuit open`, Math.max(error.retryAfterMs, 50));
      }
      throw error;
    }
  }
}
