import { Injectable } from '@nestjs/common';
import { CircuitBreakers } from './circuit-breakers';
import type { ProviderRateLimitView } from './dto/rate-limit-views.dto';
import { EmergencyStop } from './emergency-stop';
import { PROVIDERS, ProviderName } from '../job-definitions/provider-names';
import { ProviderRateLimiter } from './provider-rate-limiter';

/** One provider's bucket, breaker and the emergency stop flag, as the admin routes show them. */
@Injectable()
export class RateLimitStatus {
  constructor(
    private readonly limiter: ProviderRateLimiter,
    private readonly breakers: CircuitBreakers,
    private readonly emergencyStop: EmergencyStop,
  ) {}

  async all(): Promise<ProviderRateLimitView[]> {
    const emergencyStop = await this.emergencyStop.getState();
    return Promise.all(PROVIDERS.map((provider) => this.compose(provider, emergencyStop)));
  }

  async of(provider: ProviderName): Promise<ProviderRateLimitView> {
    return this.compose(provider, await this.emergencyStop.getState());
  }

  async reset(provider: ProviderName): Promise<ProviderRateLimitView> {
    await this.limiter.reset(provider);
    return this.of(provider);
  }

  private async compose(
    provider: ProviderName,
    emergencyStop: ProviderRateLimitView['emergencyStop'],
  ): Promise<ProviderRateLimitView> {
    const bucket = await this.limiter.getStatus(provider);
    const { state, retryAfterMs, failures, successes, rejects } = this.breakers.getState(provider);
    return { ...bucket, breaker: { state, retryAfterMs, failures, successes, rejects }, emergencyStop };
  }
}
