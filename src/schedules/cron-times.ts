import { parseExpression } from 'cron-parser';
import type { FieldProblem } from '../common/errors/validation-details';

/**
 * Tick times of a cron expression in an IANA time zone, computed with cron-parser: the parser
 * Bull's repeatable jobs use, so the next run shown is the tick Bull will make (daylight-saving
 * changes included).
 */
export function nextTickAfter(cron: string, timezone: string, after: Date): Date {
  return parseExpression(cron, { tz: timezone, currentDate: after }).next().toDate();
}

/** The latest tick at or before `at` (null when the expression has none). */
export function previousTickBefore(cron: string, timezone: string, at: Date): Date | null {
  try {
    // cron-parser's prev() is strictly before currentDate; a tick exactly at `at` counts as passed.
    return parseExpression(cron, { tz: timezone, currentDate: new Date(at.getTime() + 1) }).prev().toDate();
  } catch {
    return null;
  }
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Problems with a cron expression and its zone, named by field. */
export function cronProblems(cron: string | undefined, timezone: string | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (timezone !== undefined && !isTimeZone(timezone)) problems.push({ field: 'timezone', message: 'timezone must be an IANA time zone' });
  if (cron !== undefined) {
    const fields = cron.trim().split(/\s+/).length;
    try {
      if (fields < 5 || fields > 6) throw new Error('5 fields, or 6 with seconds first');
      parseExpression(cron, { tz: 'UTC' }).next();
    } catch (error) {
      problems.push({ field: 'cron', message: `cron is not a cron expression (${(error as Error).message})` });
    }
  }
  return problems;
}
