import type { Role } from '../common/auth/auth-user';

export const AUDIT_OUTCOMES = ['succeeded', 'refused', 'failed'] as const;
/** succeeded: 1xx–3xx; refused: 4xx (authorization, validation, not found, conflict); failed: 5xx or a cut response. */
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Small, non-personal facts about an action: counts, names, flags; never payload values. */
export type AuditDetails = Record<string, string | number | boolean>;

/** What a route may hand over: a fact it could not establish (null or undefined) is left out of the row. */
export type AuditDetailsInput = Record<string, string | number | boolean | null | undefined>;

/** One row of `audit_log` before it is written. */
export interface NewAuditEntry {
  tenantId: string;
  actor: string;
  roles: Role[];
  action: string;
  target: string | null;
  requestId: string | null;
  outcome: AuditOutcome;
  statusCode: number | null;
  details: AuditDetails;
}

export interface AuditEntry extends NewAuditEntry {
  id: string;
  occurredAt: Date;
}

/** Who reads the trail: a platform operator reads every tenant's rows, a venue admin its own. */
export type AuditReader = 'all' | { tenantId: string };

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export function outcomeOf(statusCode: number, completed = true): AuditOutcome {
  if (!completed || statusCode >= 500) return 'failed';
  return statusCode >= 400 ? 'refused' : 'succeeded';
}
