import { describe, expect, it } from 'vitest';
import { calendarDayIn, quotaWindow } from '../../src/modules/accounts/quota-window.js';

const iso = (window: { start: Date; end: Date }) => [window.start.toISOString(), window.end.toISOString()];

describe('quotaWindow in Asia/Shanghai', () => {
  const tz = 'Asia/Shanghai';

  it('a day runs from 16:00 UTC to 16:00 UTC (midnight to midnight CST)', () => {
    expect(iso(quotaWindow(new Date('2026-11-21T15:59:59.999Z'), 'day', tz))).toEqual(['2026-11-20T16:00:00.000Z', '2026-11-21T16:00:00.000Z']);
    expect(iso(quotaWindow(new Date('2026-11-21T16:00:00.000Z'), 'day', tz))).toEqual(['2026-11-21T16:00:00.000Z', '2026-11-22T16:00:00.000Z']);
  });

  it('a month starts at CST midnight on the 1st, even when UTC is still in the previous month', () => {
    expect(iso(quotaWindow(new Date('2026-11-30T16:00:00Z'), 'month', tz))).toEqual(['2026-11-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z']);
    expect(iso(quotaWindow(new Date('2026-11-30T15:59:59Z'), 'month', tz))).toEqual(['2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z']);
  });

  it('rolls over the year and handles February of a leap year', () => {
    expect(iso(quotaWindow(new Date('2026-12-31T16:00:00Z'), 'month', tz))).toEqual(['2026-12-31T16:00:00.000Z', '2027-01-31T16:00:00.000Z']);
    expect(iso(quotaWindow(new Date('2028-02-10T00:00:00Z'), 'month', tz))).toEqual(['2028-01-31T16:00:00.000Z', '2028-02-29T16:00:00.000Z']);
  });
});

describe('quotaWindow in a zone with daylight saving', () => {
  const tz = 'America/New_York';

  it('a spring-forward day is 23 hours long and a fall-back day 25', () => {
    const spring = quotaWindow(new Date('2026-03-08T12:00:00Z'), 'day', tz);
    expect(iso(spring)).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    const fall = quotaWindow(new Date('2026-11-01T12:00:00Z'), 'day', tz);
    expect(fall.end.getTime() - fall.start.getTime()).toBe(25 * 3600_000);
  });
});

describe('calendarDayIn', () => {
  it('names the day an instant falls on in the zone, across its midnight', () => {
    expect(calendarDayIn(new Date('2026-10-31T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-10-31');
    expect(calendarDayIn(new Date('2026-10-31T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-01');
    expect(calendarDayIn(new Date('2026-01-01T04:00:00Z'), 'America/New_York')).toBe('2025-12-31');
  });

  it('stays exact whatever zone and minute were asked before (it remembers the day of the last minute per zone)', () => {
    const asks: Array<[string, string, string]> = [
      ['2026-10-31T15:59:00.000Z', 'Asia/Shanghai', '2026-10-31'],
      ['2026-10-31T15:59:59.999Z', 'Asia/Shanghai', '2026-10-31'],
      ['2026-10-31T15:59:30.000Z', 'America/New_York', '2026-10-31'],
      ['2026-10-31T16:00:00.000Z', 'Asia/Shanghai', '2026-11-01'],
      ['2026-10-31T15:59:59.999Z', 'Asia/Shanghai', '2026-10-31'],
      ['2026-11-01T04:00:00.000Z', 'America/New_York', '2026-11-01'],
      ['2026-11-01T03:59:59.999Z', 'America/New_York', '2026-10-31'],
      // Before 1973 a zone's offset could hold seconds (Monrovia's −0:44:30), so its day could change within a minute.
      ['1971-06-01T00:44:29.000Z', 'Africa/Monrovia', '1971-05-31'],
      ['1971-06-01T00:44:31.000Z', 'Africa/Monrovia', '1971-06-01'],
    ];
    for (const [instant, zone, day] of asks) expect(calendarDayIn(new Date(instant), zone), `${instant} in ${zone}`).toBe(day);
  });
});
