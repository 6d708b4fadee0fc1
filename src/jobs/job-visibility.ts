import { AuthUser, isAdmin } from '../common/auth/auth-user';
import { redactPersonalData } from '../job-definitions/personal-data';
import type { JobView } from './dto/job-views.dto';

/**
 * Which jobs a caller sees and acts on (the role model, README "Who may do what"):
 * - `admin` (platform operator) and `venue_admin`: every job of the token's tenant; a platform
 *   operator's queue listings also show every other tenant's jobs, their personal data redacted;
 * - `user`: only the jobs it submitted itself (`jobs.created_by`, or `createdBy` in the Bull
 *   job's data, equal to its `sub`). Any other job answers 404, as a missing one does.
 */
export function seesWholeTenant(user: AuthUser): boolean {
  return isAdmin(user) || user.roles.includes('venue_admin');
}

/** The submitter a caller is limited to (its own `sub`), or null when it sees its whole tenant. */
export function submitterFilterOf(user: AuthUser): string | null {
  return seesWholeTenant(user) ? null : user.userId;
}

/** A job of the caller's tenant: may the caller see it and act on it? */
export function maySeeJobOfTenant(user: AuthUser, createdBy: string | null | undefined): boolean {
  const submitter = submitterFilterOf(user);
  return submitter === null || createdBy === submitter;
}

/** The tenant a queue listing reads: a platform operator's reaches every tenant (null). */
export function listingTenantOf(user: AuthUser): string | null {
  return isAdmin(user) ? null : user.tenantId;
}

/**
 * A job as the caller may read it: another tenant's job (which only a platform operator's
 * listing reaches) has its personal data redacted unless `includePersonalData` was asked for.
 */
export function presentJobTo(user: AuthUser, view: JobView, includePersonalData = false): JobView {
  if (view.tenantId === user.tenantId || includePersonalData) return view;
  const { data, result, redactedFields } = redactPersonalData(view.type, view.data, view.result);
  return redactedFields.length ? { ...view, data, result, redactedFields } : view;
}
