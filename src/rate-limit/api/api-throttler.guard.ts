import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail,
  ThrottlerModuleOptions, ThrottlerRequest, ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import type { ApiRouteGroup } from '../../config/rate-limits.config';
import { ApiRateLimits } from './api-rate-limits';
import { RATE_LIMIT_GROUP } from '../../common/rate-limit/rate-limit-group.decorator';

/** Probes, scrapes and documentation are never throttled: `/`, /health…, /metrics…, /docs…. */
const UNTHROTTLED_PATH = /^\/(?:$|health(?:\/|$)|metrics(?:\/|$)|docs(?:[-/]|$))/;

/** Whether API limits apply to a path (also to a path template such as `/jobs/{id}`). */
export function isThrottledPath(path: string): boolean {
  return !UNTHROTTLED_PATH.test(path);
}

/**
 * @nestjs/throttler's guard (counters in Redis, shared by every API process), keyed by the
 * caller and the route group: `tenantId:userId` when authenticated, the client IP otherwise.
 * It is registered after the authentication guards, so `request.user` is known here.
 * Over the limit: 429 through the global error filter, with Retry-After in seconds.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly limits: ApiRateLimits,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return !isThrottledPath(context.switchToHttp().getRequest<Request>().path);
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const user = request.user as AuthUser | undefined;
    return user ? `${user.tenantId}:${user.userId}` : super.getTracker(request);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context } = props;
    const group =
      this.reflector.getAllAndOverride<ApiRouteGroup | undefined>(RATE_LIMIT_GROUP, [context.getHandler(), context.getClass()]) ??
      'default';
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    const { maxRequests, windowSeconds } = await this.limits.limitFor(user, group);
    const ttl = windowSeconds * 1000;
    return super.handleRequest({
      ...props,
      limit: maxRequests,
      ttl,
      blockDuration: ttl,
      // One counter per caller and group (the library's default is one per route).
      generateKey: (_context, tracker) => `api:${group}:${tracker}`,
    });
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new ThrottlerException(
      `Too many requests: the limit is ${detail.limit} per ${detail.ttl / 1000} s; retry after ${detail.timeToBlockExpire} s`,
    );
  }
}
