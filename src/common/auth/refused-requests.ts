import { ExecutionContext, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerException, ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { AppConfig } from '../../config/app-config';

/**
 * The API limit of refused requests (401 and 403), which never reach the throttler guard
 * (authentication and roles run first): each is counted against its client IP in the
 * throttler's shared Redis storage, and once the IP is over API_RATE_LIMIT_REFUSED per window
 * its refused requests are answered 429 instead, with Retry-After. A request with a valid
 * token and the role it needs is not counted here (the throttler counts it per caller).
 */
@Injectable()
export class RefusedRequests {
  private readonly logger = new Logger(RefusedRequests.name);

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  /** Always throws: the refusal itself, or 429 when the client IP is over its limit. */
  async refuse(context: ExecutionContext, refusal: unknown): Promise<never> {
    const counted = refusal instanceof UnauthorizedException || refusal instanceof ForbiddenException;
    if (!counted || context.getType() !== 'http') throw refusal;
    const request = context.switchToHttp().getRequest<Request>();
    const { maxRequests, windowSeconds } = this.config.rateLimits.api.refusedPerIp;
    const ttl = windowSeconds * 1000;
    let blockedForSeconds: number | null = null;
    try {
      const record = await this.storage.increment(`api:refused:${request.ip ?? 'unknown'}`, ttl, maxRequests, ttl, 'refused');
      if (record.isBlocked) blockedForSeconds = record.timeToBlockExpire;
    } catch (error) {
      // Redis unreachable: the request is refused all the same, as what it is.
      this.logger.warn({ err: error }, 'Could not count a refused request');
    }
    if (blockedForSeconds === null) throw refusal;
    context.switchToHttp().getResponse<Response>().header('Retry-After', String(blockedForSeconds));
    throw new ThrottlerException(
      `Too many refused requests from this address: the limit is ${maxRequests} per ${windowSeconds} s; retry after ${blockedForSeconds} s`,
    );
  }
}
