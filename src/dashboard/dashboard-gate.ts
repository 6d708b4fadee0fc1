import { HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { AuditTrail, PendingAudit } from '../audit/audit-trail';
import { AuthUser, isAdmin } from '../common/auth/auth-user';
import { isDatabaseUnavailable, isRedisOutOfMemory, isRedisUnavailable } from '../common/errors/unavailable-errors';
import { JobsService } from '../jobs/jobs.service';
import { QueuesService } from '../queues/queues.service';
import { dashboardRequestOf, DashboardRequest } from './dashboard-routes';
import { DASHBOARD_COOKIE, DASHBOARD_PATH, DashboardSessions } from './dashboard-sessions';
import { refusalPage } from './refusal-page';

type GatedRequest = Request & { id?: string; cookies?: Record<string, unknown> };

/**
 * Stands in front of bull-board: a request needs a live admin session cookie, reads go on to
 * the board, and changes are made here through the service (JobsService, QueuesService) as the
 * session's admin, or refused. bull-board itself never changes a job.
 */
@Injectable()
export class DashboardGate {
  private readonly logger = new Logger(DashboardGate.name);

  constructor(
    private readonly sessions: DashboardSessions,
    private readonly jobs: JobsService,
    private readonly queues: QueuesService,
    private readonly audit: AuditTrail,
  ) {}

  handlers(): RequestHandler[] {
    return [cookieParser(), (request, response, next) => void this.handle(request as GatedRequest, response, next)];
  }

  private async handle(request: GatedRequest, response: Response, next: NextFunction): Promise<void> {
    const path = pathWithinDashboard(request);
    // Opening a session is a Nest route with bearer authentication of its own.
    if (path === '/session') return next();
    const user = this.sessions.verify(request.cookies?.[DASHBOARD_COOKIE]);
    if (!user) return this.deny(request, response, HttpStatus.UNAUTHORIZED, 'Open a dashboard session first: POST /admin/queues/session with an admin token');
    if (!isAdmin(user)) return this.deny(request, response, HttpStatus.FORBIDDEN, 'The dashboard is for admins only');
    const asked = dashboardRequestOf(request.method, path);
    if (asked.kind === 'read') return next();
    // Recorded with the status the board receives, like a route marked @Audited.
    this.audit.watch(request, response, [auditOf(asked)], user);
    try {
      await this.carryOut(user, asked, response);
    } catch (error) {
      this.answerError(request, response, error);
    }
  }

  private async carryOut(user: AuthUser, asked: Exclude<DashboardRequest, { kind: 'read' }>, response: Response): Promise<void> {
    switch (asked.kind) {
      case 'retry':
        await this.jobs.retry(user, asked.jobId);
        return void response.status(HttpStatus.NO_CONTENT).end();
      case 'remove':
        await this.jobs.cancel(user, asked.jobId);
        return void response.status(HttpStatus.NO_CONTENT).end();
      case 'pause':
        for (const queue of asked.queues) await this.queues.pause(queue);
        return void response.status(HttpStatus.OK).json({});
      case 'resume':
        for (const queue of asked.queues) await this.queues.resume(queue);
        return void response.status(HttpStatus.OK).json({});
      case 'unknown-queue':
        return void response.status(HttpStatus.NOT_FOUND).json(boardError('ERRORS.QUEUE_NOT_FOUND', `No queue ${asked.queue}`));
      case 'refused':
        return void response.status(HttpStatus.METHOD_NOT_ALLOWED).json(boardError('ERRORS.FORBIDDEN', asked.reason));
    }
  }

  private deny(request: GatedRequest, response: Response, status: number, message: string): void {
    if (request.accepts(['json', 'html']) === 'html') {
      response.status(status).type('html').send(refusalPage(status, message));
      return;
    }
    response.status(status).json({ statusCode: status, error: STATUS_CODES[status], message, requestId: String(request.id ?? '') });
  }

  /** In bull-board's error shape, so that its UI shows the service's reason. */
  private answerError(request: GatedRequest, response: Response, error: unknown): void {
    if (error instanceof HttpException && error.getStatus() < 500) {
      const key = error.getStatus() === HttpStatus.NOT_FOUND ? 'ERRORS.JOB_NOT_FOUND' : 'ERRORS.FORBIDDEN';
      response.status(error.getStatus()).json(boardError(key, error.message));
      return;
    }
    if (isRedisOutOfMemory(error) || isRedisUnavailable(error) || isDatabaseUnavailable(error)) {
      this.logger.warn({ err: error, requestId: request.id }, 'A backing store is unavailable');
      response.status(HttpStatus.SERVICE_UNAVAILABLE).json(boardError('ERRORS.INTERNAL_SERVER_ERROR', 'A backing store is unavailable; try again later'));
      return;
    }
    this.logger.error({ err: error, requestId: request.id }, 'Unhandled dashboard error');
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json(boardError('ERRORS.INTERNAL_SERVER_ERROR', 'Internal server error'));
  }
}

/** Dashboard changes are recorded under the routes' action names, with `via: dashboard`. */
function auditOf(asked: Exclude<DashboardRequest, { kind: 'read' }>): PendingAudit {
  const entry = (action: string, target: string | null, details: Record<string, string> = {}): PendingAudit => ({
    action,
    target: () => target,
    details: () => ({ via: 'dashboard', ...details }),
  });
  switch (asked.kind) {
    case 'retry':
      return entry('job.retry', asked.jobId, { queue: asked.queue });
    case 'remove':
      return entry('job.cancel', asked.jobId, { queue: asked.queue });
    case 'pause':
    case 'resume':
      return entry(`queue.${asked.kind}`, asked.queues.join(','));
    case 'unknown-queue':
      return entry('dashboard.change', asked.queue);
    case 'refused':
      return entry('dashboard.change', null);
  }
}

function boardError(key: string, message: string): { error: { key: string }; message: string } {
  return { error: { key }, message };
}

/** The request's path below the dashboard's mount path, whether or not the router stripped it. */
function pathWithinDashboard(request: Request): string {
  const path = (request.originalUrl ?? request.url).split('?')[0];
  return path.startsWith(DASHBOARD_PATH) ? path.slice(DASHBOARD_PATH.length) || '/' : path;
}
