import { SetMetadata } from '@nestjs/common';
import type { AuditDetailsInput } from './audit-entry';

export const AUDITED = 'audit:action';

/**
 * Where the target of an action is read: a route parameter, a body field, or a field of the
 * handler's answer (for things the action creates, such as a schedule's id).
 */
export type AuditTargetSource = `params.${string}` | `body.${string}` | `response.${string}`;

/** What a route hands to `details`: the request as the handler saw it, and its answer (absent when refused). */
export interface AuditedRequest {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  response?: unknown;
}

export interface AuditedOptions {
  target?: AuditTargetSource;
  /** Small non-personal facts (counts, names); it must not throw on a malformed body. */
  details?: (request: AuditedRequest) => AuditDetailsInput;
}

export interface AuditedAction extends AuditedOptions {
  action: string;
}

/**
 * Records every call of the route in `audit_log` with its outcome: succeeded, refused (guards'
 * 403s, validation, 404, 409…) or failed. See AuditGuard and AuditInterceptor.
 */
export const Audited = (action: string, options: AuditedOptions = {}) =>
  SetMetadata<string, AuditedAction>(AUDITED, { action, ...options });

/** The length of a list in a body or answer, for `details`; null when it is not a list. */
export function lengthOf(value: unknown): number | null {
  return Array.isArray(value) ? value.length : null;
}

/** A field of an object in a body or answer, for `details`; undefined when absent. */
export function fieldOf(value: unknown, field: string): unknown {
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
}

/** A number from a body or answer, for `details`; null otherwise. */
export function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
