import { cronProblems, nextTickAfter, previousTickBefore } from './cron-times';

describe('cron tick times in a time zone', () => {
  // Europe/Berlin leaves summer time on 2026-10-25: 03:00 CEST (01:00Z) becomes 02:00 CET.
  it('keeps a daily 04:30 local tick at 04:30 local across the autumn change: 25 hours between the two ticks', () => {
    const before = nextTickAfter('30 4 * * *', 'Europe/Berlin', new Date('2026-10-23T12:00:00Z'));
    const after = nextTickAfter('30 4 * * *', 'Europe/Berlin', before);
    expect(before.toISOString()).toBe('2026-10-24T02:30:00.000Z');
    expect(after.toISOString()).toBe('2026-10-25T03:30:00.000Z');
    expect(after.getTime() - before.getTime()).toBe(25 * 3600_000);
  });

  it('keeps a daily 09:00 local tick across the spring change: 23 hours between the two ticks', () => {
    // 2026-03-29 02:00 CET jumps to 03:00 CEST.
    const first = nextTickAfter('0 9 * * *', 'Europe/Berlin', new Date('2026-03-28T00:00:00Z'));
    const second = nextTickAfter('0 9 * * *', 'Europe/Berlin', first);
    expect(first.toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(second.toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(second.getTime() - first.getTime()).toBe(23 * 3600_000);
  });

  it('fires an hourly-at-:30 schedule in Europe/Berlin each UTC hour through the autumn change (02:30 local twice)', () => {
    const ticks: string[] = [];
    let at = new Date('2026-10-24T23:00:00Z');
    for (let i = 0; i < 4; i += 1) {
      at = nextTickAfter('30 * * * *', 'Europe/Berlin', at);
      ticks.push(at.toISOString());
    }
    expect(ticks).toEqual(['2026-10-24T23:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00.000Z']);
  });

  it('counts a tick exactly at the given time as the previous one', () => {
    expect(previousTickBefore('0 * * * *', 'UTC', new Date('2026-01-01T10:00:00Z'))?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(previousTickBefore('0 * * * *', 'UTC', new Date('2026-01-01T10:59:59Z'))?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
  });

  it('names the cron and the timezone fields when they are wrong', () => {
    expect(cronProblems('every day', 'Mars/Olympus').map(({ field }) => field)).toEqual(['timezone', 'cron']);
    expect(cronProblems('61 * * * *', 'UTC').map(({ field }) => field)).toEqual(['cron']);
    expect(cronProblems('*/5 * * * * *', 'America/New_York')).toEqual([]);
  });
});
