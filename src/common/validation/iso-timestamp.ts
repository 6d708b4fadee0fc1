import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * The one form of instant the API takes (RFC 3339, with a little leeway): a calendar date
 * `2026-12-01` (midnight UTC), or a date and time `2026-12-01T10:15`, `…T10:15:30`,
 * `…T10:15:30.123Z`, `…T10:15:30+01:00`. A time without an offset is UTC. Week dates
 * (2026-W05-3), ordinal dates (2026-335), the basic format (20261201T101010Z), a bare year or
 * month, and impossible dates (2026-02-30, 24:00) are refused: class-validator's IsISO8601
 * accepts several of them, and `Date` cannot read them or reads them as another day.
 */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?)?$/;

export const ISO_TIMESTAMP_DESCRIPTION =
  'RFC 3339: `2026-12-01`, `2026-12-01T10:15:30Z` or with an offset `+01:00` (no offset: UTC)';

/** The instant `text` names, or undefined when it is not one of the accepted forms. */
export function parseIsoTimestamp(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const offsetMinutes = offsetOf(zone);
  if (offsetMinutes === undefined) return undefined;
  const instant = new Date(0);
  instant.setUTCFullYear(y, mo - 1, d);
  instant.setUTCHours(h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)));
  return new Date(instant.getTime() - offsetMinutes * 60_000);
}

/** Must be an instant parseIsoTimestamp reads; the value stays a string (read it with that function). */
export function IsIsoTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsoTimestamp',
      validator: {
        validate: (value) => parseIsoTimestamp(value) !== undefined,
        defaultMessage: (args) => `${args?.property} must be a date or date-time such as 2026-12-01T10:15:30Z`,
      },
    },
    options,
  );
}

/** Not before the instant in the field `earlier` (when both are readable). */
export function IsNotBefore(earlier: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotBefore',
      constraints: [earlier],
      validator: {
        validate: (value, args) => {
          const start = parseIsoTimestamp((args?.object as Record<string, unknown>)[earlier]);
          const end = parseIsoTimestamp(value);
          return !start || !end || end.getTime() >= start.getTime();
        },
        defaultMessage: (args) => `${args?.property} must not be before ${earlier}`,
      },
    },
    options,
  );
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function offsetOf(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}
