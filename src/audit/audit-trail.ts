import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AuthUser } from '../common/auth/auth-user';
import { AuditDetails, AuditDetailsInput, NewAuditEntry, outcomeOf } from './audit-entry';
import { AuditLog } from './audit-log.repository';
import type { AuditedAction, AuditedRequest } from './audited.decorator';

/** What one request will record: its target and details are read once the outcome is known. */
export interface PendingAudit {
  action: string;
  target: (answer: unknown) => string | null;
  details: (answer: unknown) => AuditDetailsInput;
}

interface OpenAudit extends PendingAudit {
  settled: boolean;
}

const OPEN = Symbol('audit:open');
type AuditedHttpRequest = Request & { id?: string; user?: AuthUser; [OPEN]?: { entries: OpenAudit[]; actor?: AuthUser } };

const MAX_TEXT = 200;
/** How long an answer waits for its audit row (see `answered`). */
export const ANSWER_WAIT_MS = 2_000;

/**
 * The one writer of audit entries for requests.
 *
 * `watch` opens a request's entries before any guard decides (AuditGuard is the first global
 * guard). The interceptor settles them once the handler has answered, before the answer leaves,
 * so a caller that got its answer finds the row. Whatever is still open when the response closes
 * (a guard's 403, a pipe's 400 or 404, the handler's 409 or 500, a cut stream) is written then,
 * with the status the client received. A request without an authenticated caller records
 * nothing: there is no actor (and anyone could fill the trail with 401s).
 *
 * An entry that cannot be written does not undo or refuse the action (it has happened by then);
 * it is logged at error level with the whole entry, under "AUDIT ENTRY NOT WRITTEN".
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('AuditTrail');

  constructor(private readonly log: AuditLog) {}

  /** `actor` for requests authenticated outside the guards (the dashboard's session); else `request.user`. */
  watch(request: Request, response: Response, entries: PendingAudit[], actor?: AuthUser): void {
    const audited = request as AuditedHttpRequest;
    const open = entries.map((entry) => ({ ...entry, settled: false }));
    if (audited[OPEN]) {
      audited[OPEN].entries.push(...open);
      return;
    }
    audited[OPEN] = { entries: open, actor };
    response.once('close', () => void this.settle(audited, response, undefined, response.writableFinished));
  }

  isWatched(request: Request): boolean {
    return Boolean((request as AuditedHttpRequest)[OPEN]?.entries.some((entry) => !entry.settled));
  }

  /**
   * The handler answered (or, with @Res, finished writing). The answer waits for the write, but
   * not past ANSWER_WAIT_MS: an emergency stop during a database outage must still answer. A
   * write that outlasts the wait carries on, and a failure of it is logged as any other.
   */
  async answered(request: Request, response: Response, answer: unknown): Promise<void> {
    const completed = !response.headersSent || response.writableFinished || !response.destroyed;
    const written = this.settle(request as AuditedHttpRequest, response, answer, completed);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ANSWER_WAIT_MS)));
    await Promise.race([written, waited]).finally(() => clearTimeout(timer));
  }

  /** For routes and middleware: the entry a decorated route would open. */
  static fromRoute(request: Request, route: AuditedAction): PendingAudit {
    const seen = (answer: unknown): AuditedRequest => ({
      params: (request.params ?? {}) as Record<string, unknown>,
      query: (request.query ?? {}) as Record<string, unknown>,
      body: request.body as unknown,
      response: answer,
    });
    return {
      action: route.action,
      target: (answer) => (route.target ? readTarget(seen(answer), route.target) : null),
      details: (answer) => {
        try {
          return route.details?.(seen(answer)) ?? {};
        } catch {
          return {};
        }
      },
    };
  }

  private async settle(request: AuditedHttpRequest, response: Response, answer: unknown, completed: boolean): Promise<void> {
    const open = request[OPEN];
    const actor = open?.actor ?? request.user;
    const due = open?.entries.filter((entry) => !entry.settled) ?? [];
    for (const entry of due) entry.settled = true;
    if (!actor || due.length === 0) return;
    const statusCode = response.statusCode;
    await Promise.all(
      due.map((entry) =>
        this.write({
          tenantId: actor.tenantId,
          actor: actor.userId,
          roles: actor.roles,
          action: entry.action,
          target: clean(entry.target(answer)),
          requestId: request.id ? String(request.id) : null,
          outcome: outcomeOf(statusCode, completed),
          statusCode,
          details: cleanDetails({ ...entry.details(answer), ...(completed ? {} : { incomplete: true }) }),
        }),
      ),
    );
  }

  private async write(entry: NewAuditEntry): Promise<void> {
    try {
      await this.log.insert(entry);
    } catch (error) {
      this.logger.error({ err: error, audit: entry }, `AUDIT ENTRY NOT WRITTEN: ${entry.action} by ${entry.actor} (${entry.outcome})`);
    }
  }
}

function readTarget(request: AuditedRequest, source: string): string | null {
  const [where, ...path] = source.split('.');
  let value: unknown = request[where as keyof AuditedRequest];
  for (const field of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** PostgreSQL text cannot hold NUL; control characters and long values say nothing useful here. */
function clean(text: string | null): string | null {
  if (text === null) return null;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, MAX_TEXT);
}

function cleanDetails(details: AuditDetailsInput): AuditDetails {
  return Object.fromEntries(
    Object.entries(details)
      .filter(([, value]) => value !== null && value !== undefined)
      .slice(0, 20)
      .map(([key, value]) => [clean(key), typeof value === 'string' ? clean(value) : value]),
  ) as AuditDetails;
}
