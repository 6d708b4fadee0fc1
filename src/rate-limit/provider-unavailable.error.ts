import { TransientJobError } from '../job-definitions/job-errors';
import type { ProviderName } from '../job-definitions/provider-names';

/**
 * The provider's circuit breaker is open: the work was not attempted. Transient, so a caller
 * that does not handle it gets an ordinary retry; `retryAfterMs` says when the breaker lets
 * a probe through, for callers that would rather defer the job until then.
 */
export class ProviderUnavailableError extends TransientJobError {
  constructor(
    readonly provider: ProviderName,
    readonly retryAfterMs: number,
  ) {
    super('provider_unavailable', `${provider} is unavailable (circuit open); retry in ${retryAfterMs} ms`);
    this.name = 'ProviderUnavailableError';
  }
}
