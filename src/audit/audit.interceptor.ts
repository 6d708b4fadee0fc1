import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { mergeMap, Observable } from 'rxjs';
import { AuditTrail } from './audit-trail';

/**
 * Settles the request's audit entries once the handler has answered, before the answer is
 * sent. Errors pass through untouched: the entry is written when the response closes, with the
 * status the error filter chose.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly trail: AuditTrail) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    if (!this.trail.isWatched(request)) return next.handle();
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      mergeMap(async (answer: unknown) => {
        await this.trail.answered(request, response, answer);
        return answer;
      }),
    );
  }
}
