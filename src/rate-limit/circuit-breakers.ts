import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { classifyError } from '../job-definitions/job-errors';
import { PROVIDERS, ProviderName } from '../job-definitions/provider-names';
import { ProviderUnavailableError } from './provider-unavailable.error';
import { RateLimitConfig } from '../config/rate-limits.config';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStatus {
  provider: ProviderName;
  state: BreakerState;
  /** Until an open breaker lets a probe through; 0 when closed. */
  retryAfterMs: number;
  /** Counts in the rolling window. */
  failures: number;
  successes: number;
  rejects: number;
}

type Work = () => Promise<unknown>;

interface ProviderBreaker {
  breaker: CircuitBreaker<[Work], unknown>;
  openedAt: number;
}

/** While the half-open probe is in flight nobody knows yet; callers come back shortly. */
const PROBE_IN_FLIGHT_RETRY_MS = 1_000;

/**
 * One opossum breaker per provider, per process (a shared breaker would need a shared clock
 * of failures; per process is enough to stop hammering a provider that is down).
 * Only transient failures count: a permanent error (a declined card, an invalid address)
 * proves the provider is up, so it passes through and counts as a success.
 */
@Injectable()
export class CircuitBreakers implements OnApplicationShutdown {
  private readonly logger = new Logger(CircuitBreakers.name);
  private readonly breakers = new Map<ProviderName, ProviderBreaker>();

  constructor(@Inject(RateLimitConfig) private readonly config: Pick<RateLimitConfig, 'breaker'>) {
    for (const provider of PROVIDERS) this.breakers.set(provider, this.create(provider));
  }

  /** Runs the work through the provider's breaker; while it is open, throws ProviderUnavailableError without running it. */
  async run<T>(provider: ProviderName, work: () => Promise<T>): Promise<T> {
    const entry = this.entryOf(provider);
    try {
      return (await entry.breaker.fire(work)) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
        throw new ProviderUnavailableError(provider, this.retryAfterMs(entry));
      }
      throw error;
    }
  }

  getState(provider: ProviderName): BreakerStatus {
    const entry = this.entryOf(provider);
    const { failures, successes, rejects } = entry.breaker.stats;
    return { provider, state: stateOf(entry.breaker), retryAfterMs: this.retryAfterMs(entry), failures, successes, rejects };
  }

  /** After JobWorkers has let running jobs finish (beforeApplicationShutdown): a shut breaker fails every call. */
  onApplicationShutdown(): void {
    for (const { breaker } of this.breakers.values()) breaker.shutdown();
  }

  private create(provider: ProviderName): ProviderBreaker {
    const settings = this.config.breaker;
    const breaker = new CircuitBreaker<[Work], unknown>((work) => work(), {
      name: provider,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.rollingWindowMs,
      // Gateways own their timeouts; a breaker timeout would abandon a payment call mid-flight.
      timeout: false,
      errorFilter: (error: unknown) => classifyError(error).permanent,
      enableSnapshots: false,
    });
    const entry: ProviderBreaker = { breaker, openedAt: 0 };
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      this.logger.warn(`Circuit for ${provider} opened; a probe goes through in ${settings.resetTimeoutMs} ms`);
    });
    breaker.on('halfOpen', () => this.logger.log(`Circuit for ${provider} half-open: probing`));
    breaker.on('close', () => this.logger.log(`Circuit for ${provider} closed`));
    return entry;
  }

  private retryAfterMs(entry: ProviderBreaker): number {
    if (entry.breaker.opened) {
      return Math.max(1, entry.openedAt + this.config.breaker.resetTimeoutMs - Date.now());
    }
    if (entry.breaker.halfOpen && !entry.breaker.pendingClose) {
      return Math.min(PROBE_IN_FLIGHT_RETRY_MS, this.config.breaker.resetTimeoutMs);
    }
    return 0;
  }

  private entryOf(provider: ProviderName): ProviderBreaker {
    const entry = this.breakers.get(provider);
    if (!entry) throw new Error(`Unknown provider ${provider}`);
    return entry;
  }
}

function stateOf(breaker: CircuitBreaker<[Work], unknown>): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half-open';
  return 'closed';
}
