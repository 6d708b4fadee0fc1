import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AuditTrail, PendingAudit } from './audit-trail';
import { AUDITED, AuditedAction } from './audited.decorator';

export const PERSONAL_DATA_READ = 'personal-data.read';

/**
 * Not a gate: it always lets the request through. It is the first global guard (AuditModule is
 * imported before AuthModule), so it opens the request's audit entries before the guards that may
 * refuse it; interceptors would never see those refusals.
 */
@Injectable()
export class AuditGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly trail: AuditTrail,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const entries: PendingAudit[] = [];
    const route = this.reflector.get<AuditedAction | undefined>(AUDITED, context.getHandler());
    if (route) entries.push(AuditTrail.fromRoute(request, route));
    if (asksForPersonalData(request.query)) {
      const method = request.method;
      const path = request.path;
      entries.push({ action: PERSONAL_DATA_READ, target: () => path, details: () => ({ method }) });
    }
    if (entries.length) this.trail.watch(request, context.switchToHttp().getResponse<Response>(), entries);
    return true;
  }
}

/** Any value but an explicit no: a refused or malformed ask is recorded too. */
export function asksForPersonalData(query: unknown): boolean {
  if (!query || typeof query !== 'object' || !('includePersonalData' in query)) return false;
  const values = ([] as unknown[]).concat((query as Record<string, unknown>).includePersonalData);
  return values.some((value) => value !== 'false' && value !== '0');
}
