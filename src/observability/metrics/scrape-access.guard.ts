import { CanActivate, ExecutionContext, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

/**
 * Who may read `GET /metrics` on the API port (see ObservabilityConfig.scrapeAccess): anyone,
 * a scraper with the METRICS_TOKEN bearer, or nobody (it is served on METRICS_PORT instead).
 */
@Injectable()
export class ScrapeAccessGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const { scrapeAccess, metricsToken } = this.config.observability;
    if (scrapeAccess === 'open') return true;
    if (scrapeAccess === 'port') throw new NotFoundException('Cannot GET /metrics');
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const presented = /^Bearer (.+)$/.exec(header)?.[1];
    if (presented && sameSecret(presented, metricsToken ?? '')) return true;
    throw new UnauthorizedException('A valid metrics token is required');
  }
}

/** Constant time, whatever the lengths: both sides are hashed first. */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return expected.length > 0 && timingSafeEqual(digest(presented), digest(expected));
}
