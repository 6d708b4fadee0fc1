import type { Environment } from './environment';

/** API route groups with a limit of their own; a route picks one with @RateLimitGroup. */
export const API_ROUTE_GROUPS = ['default', 'jobs-submit', 'admin'] as const;
export type ApiRouteGroup = (typeof API_ROUTE_GROUPS)[number];

export interface ApiLimit {
  maxRequests: number;
  windowSeconds: number;
}

export interface BreakerSettings {
  /** Share of failed calls (percent) in the rolling window above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls in the rolling window before the error rate is judged at all. */
  volumeThreshold: number;
  /** How long an open breaker rejects before letting one probe through. */
  resetTimeoutMs: number;
  rollingWindowMs: number;
}

type RateLimitEnvironment = Pick<
  Environment,
  | 'BREAKER_ERROR_THRESHOLD_PERCENT'
  | 'BREAKER_VOLUME_THRESHOLD'
  | 'BREAKER_RESET_TIMEOUT_MS'
  | 'EMERGENCY_STOP_POLL_MS'
  | 'EMERGENCY_STOP_ACK_TIMEOUT_MS'
  | 'API_RATE_LIMIT_WINDOW_SECONDS'
  | 'API_RATE_LIMIT_DEFAULT'
  | 'API_RATE_LIMIT_JOBS_SUBMIT'
  | 'API_RATE_LIMIT_ADMIN'
  | 'API_RATE_LIMIT_REFUSED'
  | 'API_RATE_LIMIT_OVERRIDE_CACHE_MS'
>;

/** Rate limiting, circuit breaker and emergency stop settings: a section of AppConfig. */
export class RateLimitConfig {
  readonly breaker: BreakerSettings;
  readonly emergencyStopPollMs: number;
  /** How long the stop route waits for every worker process to confirm before it answers `pending`. */
  readonly emergencyStopAckTimeoutMs: number;
  /** `refusedPerIp`: requests refused with 401 or 403, counted per client IP whoever they claim to be. */
  readonly api: { limits: Record<ApiRouteGroup, ApiLimit>; overrideCacheMs: number; refusedPerIp: ApiLimit };

  constructor(env: RateLimitEnvironment) {
    this.breaker = {
      errorThresholdPercentage: env.BREAKER_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: env.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: env.BREAKER_RESET_TIMEOUT_MS,
      rollingWindowMs: 10_000,
    };
    this.emergencyStopPollMs = env.EMERGENCY_STOP_POLL_MS;
    this.emergencyStopAckTimeoutMs = env.EMERGENCY_STOP_ACK_TIMEOUT_MS;
    const windowSeconds = env.API_RATE_LIMIT_WINDOW_SECONDS;
    this.api = {
      limits: {
        default: { maxRequests: env.API_RATE_LIMIT_DEFAULT, windowSeconds },
        'jobs-submit': { maxRequests: env.API_RATE_LIMIT_JOBS_SUBMIT, windowSeconds },
        admin: { maxRequests: env.API_RATE_LIMIT_ADMIN, windowSeconds },
      },
      overrideCacheMs: env.API_RATE_LIMIT_OVERRIDE_CACHE_MS,
      refusedPerIp: { maxRequests: env.API_RATE_LIMIT_REFUSED, windowSeconds },
    };
  }
}
