import { describe, expect, it } from 'vitest';
import { checkRange, periodEnd, periodStart, periodStarts } from '../../src/modules/stats/stats.service.js';

describe('stats periods', () => {
  it('names a period by its first day: the day, the Monday of its ISO week, the 1st of its month', () => {
    expect(periodStart('2026-11-01', 'day')).toBe('2026-11-01');
    expect(periodStart('2026-11-01', 'week')).toBe('2026-10-26'); // a Sunday belongs to the week before
    expect(periodStart('2026-10-26', 'week')).toBe('2026-10-26');
    expect(periodStart('2027-01-01', 'week')).toBe('2026-12-28');
    expect(periodStart('2026-02-28', 'month')).toBe('2026-02-01');
  });

  it('lists every period overlapping a range, across a year end and a leap day', () => {
    expect(periodStarts('2027-12-30', '2028-01-02', 'day')).toEqual(['2027-12-30', '2027-12-31', '2028-01-01', '2028-01-02']);
    expect(periodStarts('2028-02-27', '2028-03-01', 'day')).toEqual(['2028-02-27', '2028-02-28', '2028-02-29', '2028-03-01']);
    expect(periodStarts('2026-10-31', '2026-11-09', 'week')).toEqual(['2026-10-26', '2026-11-02', '2026-11-09']);
    expect(periodStarts('2026-01-31', '2026-04-01', 'month')).toEqual(['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01']);
    expect(periodStarts('2025-12-02', '2026-12-02', 'day')).toHaveLength(366);
    expect([periodEnd('2028-02-01', 'month'), periodEnd('2026-12-28', 'week'), periodEnd('2026-12-31', 'day')]).toEqual(['2028-02-29', '2027-01-03', '2026-12-31']);
  });

  it('takes ranges up to 366 days ending today at the latest, and names the field of a bad one', () => {
    const today = '2026-12-02';
    expect(checkRange({ from: '2025-12-02', to: today, granularity: 'day' }, today).from).toBe('2025-12-02');
    const refused = (from: string, to: string) => {
      try {
        checkRange({ from, to, granularity: 'day' }, today);
      } catch (error) {
        return (error as { details: { field: string } }).details.field;
      }
      return 'accepted';
    };
    expect(refused('2025-12-01', today)).toBe('to');
    expect(refused('2026-02-29', '2026-03-01')).toBe('from');
    expect(refused('2026-11-02', '2026-11-01')).toBe('from');
    expect(refused('2026-11-01', '2026-12-03')).toBe('to');
    expect(refused('0000-01-01', '0000-01-02')).toBe('from');
  });
});
