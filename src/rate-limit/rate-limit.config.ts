import { Module } from '@nestjs/common';
import * as Joi from 'joi';
import { AppConfig } from '../config/app-config';
import { InvalidEnvironmentError } from '../config/environment';

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

interface RateLimitEnvironment {
  BREAKER_ERROR_THRESHOLD_PERCENT: number;
  BREAKER_VOLUME_THRESHOLD: number;
  BREAKER_RESET_TIMEOUT_MS: number;
  EMERGENCY_STOP_POLL_MS: number;
  API_RATE_LIMIT_WINDOW_SECONDS: number;
  API_RATE_LIMIT_DEFAULT: number;
  API_RATE_LIMIT_JOBS_SUBMIT: number;
  API_RATE_LIMIT_ADMIN: number;
  API_RATE_LIMIT_OVERRIDE_CACHE_MS: number;
}

const count = (fallback: number) => Joi.number().integer().min(1).default(fallback);

// Per user and route group. Generous: a client polling a job every 25 ms stays well inside.
const schema = Joi.object<RateLimitEnvironment>({
  BREAKER_ERROR_THRESHOLD_PERCENT: Joi.number().min(1).max(100).default(50),
  BREAKER_VOLUME_THRESHOLD: count(10),
  BREAKER_RESET_TIMEOUT_MS: Joi.number().integer().min(10).default(30_000),
  EMERGENCY_STOP_POLL_MS: Joi.number().integer().min(50).default(5_000),
  API_RATE_LIMIT_WINDOW_SECONDS: count(60),
  API_RATE_LIMIT_DEFAULT: count(6_000),
  API_RATE_LIMIT_JOBS_SUBMIT: count(3_000),
  API_RATE_LIMIT_ADMIN: count(1_200),
  API_RATE_LIMIT_OVERRIDE_CACHE_MS: Joi.number().integer().min(0).default(30_000),
});

/** Rate limiting, circuit breaker and emergency stop settings, validated once from the environment. */
export class RateLimitConfig {
  readonly breaker: BreakerSettings;
  readonly emergencyStopPollMs: number;
  readonly api: { limits: Record<ApiRouteGroup, ApiLimit>; overrideCacheMs: number };

  constructor(env: RateLimitEnvironment) {
    this.breaker = {
      errorThresholdPercentage: env.BREAKER_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: env.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: env.BREAKER_RESET_TIMEOUT_MS,
      rollingWindowMs: 10_000,
    };
    this.emergencyStopPollMs = env.EMERGENCY_STOP_POLL_MS;
    const windowSeconds = env.API_RATE_LIMIT_WINDOW_SECONDS;
    this.api = {
      limits: {
        default: { maxRequests: env.API_RATE_LIMIT_DEFAULT, windowSeconds },
        'jobs-submit': { maxRequests: env.API_RATE_LIMIT_JOBS_SUBMIT, windowSeconds },
        admin: { maxRequests: env.API_RATE_LIMIT_ADMIN, windowSeconds },
      },
      overrideCacheMs: env.API_RATE_LIMIT_OVERRIDE_CACHE_MS,
    };
  }
}

export function loadRateLimitConfig(raw: Record<string, unknown>): RateLimitConfig {
  const { value, error } = schema.validate(raw, { abortEarly: false, allowUnknown: true, stripUnknown: true, convert: true });
  if (error) {
    throw new InvalidEnvironmentError(
      error.details.map((detail) => `${detail.path.join('.')}: ${detail.message.replace(/"/g, '')}`),
    );
  }
  return new RateLimitConfig(value);
}

@Module({
  providers: [
    {
      provide: RateLimitConfig,
      // AppConfig is injected only so that .env has been loaded before process.env is read.
      inject: [AppConfig],
      useFactory: () => loadRateLimitConfig(process.env),
    },
  ],
  exports: [RateLimitConfig],
})
export class RateLimitConfigModule {}
