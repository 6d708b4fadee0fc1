import { validate } from 'class-validator';
import { IsIsoTimestamp, IsNotBefore, parseIsoTimestamp } from './iso-timestamp';

class Window {
  @IsIsoTimestamp()
  from: unknown;

  @IsIsoTimestamp() @IsNotBefore('from')
  to: unknown;
}

describe('parseIsoTimestamp', () => {
  it.each([
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T10:15', '2026-12-01T10:15:00.000Z'],
    ['2026-12-01T10:15:30', '2026-12-01T10:15:30.000Z'],
    ['2026-12-01T10:15:30Z', '2026-12-01T10:15:30.000Z'],
    ['2026-12-01t10:15:30z', '2026-12-01T10:15:30.000Z'],
    ['2026-12-01 10:15:30Z', '2026-12-01T10:15:30.000Z'],
    ['2026-12-01T10:15:30.5Z', '2026-12-01T10:15:30.500Z'],
    ['2026-12-01T10:15:30.123456789Z', '2026-12-01T10:15:30.123Z'],
    ['2026-12-01T10:15:30+01:00', '2026-12-01T09:15:30.000Z'],
    ['2026-12-01T00:15:30-05:30', '2026-12-01T05:45:30.000Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01', '0001-01-01T00:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseIsoTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each([
    ['a week date', '2026-W05-3'],
    ['a week date without the day', '2026-W05'],
    ['an ordinal date', '2026-335'],
    ['the basic format', '20261201T101010Z'],
    ['a basic date', '20261201'],
    ['a bare year', '2026'],
    ['a year and month', '2026-12'],
    ['30 February', '2026-02-30'],
    ['29 February of a common year', '2026-02-29T10:00:00Z'],
    ['29 February 1900', '1900-02-29'],
    ['month 13', '2026-13-01'],
    ['day 0', '2026-12-00'],
    ['hour 24', '2026-12-01T24:00:00Z'],
    ['minute 60', '2026-12-01T10:60:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['an offset without a colon', '2026-12-01T10:10:10+0100'],
    ['an offset of hours only', '2026-12-01T10:10:10+01'],
    ['an offset of 24 hours', '2026-12-01T10:10:10+24:00'],
    ['a comma fraction', '2026-12-01T10:10:10,5Z'],
    ['a six-digit year', '+002026-12-01T00:00:00Z'],
    ['a NUL after a date', '2026-12-01\u0000'],
    ['words', 'yesterday'],
    ['an empty string', ''],
    ['a number', 1796083200000],
    ['null', null],
  ])('refuses %s', (_case, value) => {
    expect(parseIsoTimestamp(value)).toBeUndefined();
  });
});

describe('IsIsoTimestamp and IsNotBefore', () => {
  const problems = async (from: unknown, to: unknown) =>
    (await validate(Object.assign(new Window(), { from, to }))).flatMap((error) => Object.values(error.constraints ?? {}));

  it('accepts a window in order, across offsets', async () => {
    expect(await problems('2026-12-01T10:00:00+01:00', '2026-12-01T09:00:00Z')).toEqual([]);
  });

  it('names a date Date cannot read', async () => {
    expect(await problems('2026-W05-3', '2026-12-01')).toEqual(['from must be a date or date-time such as 2026-12-01T10:15:30Z']);
  });

  it('refuses an end before the start', async () => {
    expect(await problems('2026-12-02', '2026-12-01T23:59:59Z')).toEqual(['to must not be before from']);
  });
});
