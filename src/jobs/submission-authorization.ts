import { ForbiddenException } from '@nestjs/common';
import type { Role } from '../common/auth/auth-user';
import type { FieldProblem } from '../common/errors/validation-details';
import type { JobPriority } from '../job-definitions/job-status';
import {
  CLEANUP_ALL_SUBMITTERS, ELEVATED_PRIORITY_SUBMITTERS, JobType, SubmitterRole, submittersOf,
} from '../job-definitions/job-types';

// The job vocabulary names roles without importing common/auth: the two lists must stay one.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const ROLES_AGREE: Same<Role, SubmitterRole> = true;
void ROLES_AGREE;

/** What a submission asks for, as far as who may ask for it goes. */
export interface SubmissionAsked {
  type: JobType;
  data?: Record<string, unknown>;
  priority?: JobPriority;
}

/** Where each part sits in the request, for the error's details (e.g. `jobs.3.type`, or a schedule's `jobType`). */
export interface SubmissionFields {
  type: string;
  data: string;
  priority: string;
}

export const fieldsOfJob = (prefix = ''): SubmissionFields => ({
  type: `${prefix}type`,
  data: `${prefix}data`,
  priority: `${prefix}options.priority`,
});

const NORMAL_OR_LOWER: readonly (JobPriority | undefined)[] = [undefined, 'normal', 'low'];

/**
 * What the caller's roles do not allow in one submission: the type (JOB_TYPES' `submitters`),
 * a priority above normal, or a cleanup of every target. Empty when all is allowed.
 */
export function submissionRefusals(roles: readonly Role[], asked: SubmissionAsked, fields: SubmissionFields): FieldProblem[] {
  const holds = (allowed: readonly SubmitterRole[]) => allowed.some((role) => roles.includes(role));
  const submitters = submittersOf(asked.type);
  if (!holds(submitters)) {
    return [{ field: fields.type, message: `${asked.type} may be submitted only by: ${submitters.join(', ')}` }];
  }
  const problems: FieldProblem[] = [];
  if (!NORMAL_OR_LOWER.includes(asked.priority) && !holds(ELEVATED_PRIORITY_SUBMITTERS)) {
    problems.push({ field: fields.priority, message: `priority ${asked.priority} may be asked only by: ${ELEVATED_PRIORITY_SUBMITTERS.join(', ')}` });
  }
  if (asked.type === 'cleanup' && asked.data?.target === 'all' && !holds(CLEANUP_ALL_SUBMITTERS)) {
    problems.push({ field: `${fields.data}.target`, message: `cleanup of target all may be submitted only by: ${CLEANUP_ALL_SUBMITTERS.join(', ')}` });
  }
  return problems;
}

/** 403 in the one error shape, naming each refused field and the roles it needs. */
export function refuseUnlessAllowed(problems: FieldProblem[]): void {
  if (problems.length) throw new ForbiddenException({ message: 'Your role may not submit this job as asked', details: problems });
}
