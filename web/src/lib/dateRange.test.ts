import { describe, expect, it } from 'vitest';
import { addDays, daysInRange, isDay, lastDays, MAX_RANGE_DAYS, rangeFromSearch, rangeProblem, selectableDay } from './dateRange';

const today = '2026-12-06';

describe('statistics date ranges', () => {
  it('accepts a range of up to 366 days ending today at the latest, both ends included', () => {
    expect(rangeProblem({ from: '2026-12-06', to: '2026-12-06' }, today)).toBeNull();
    expect(rangeProblem({ from: addDays(today, -365), to: today }, today)).toBeNull();
    expect(daysInRange({ from: addDays(today, -365), to: today })).toBe(MAX_RANGE_DAYS);
  });

  it('names what is wrong with a range the API would refuse', () => {
    expect(rangeProblem({ from: addDays(today, -366), to: today }, today)).toBe('tooLong');
    expect(rangeProblem({ from: '2026-12-07', to: '2026-12-07' }, today)).toBe('future');
    expect(rangeProblem({ from: '2026-12-05', to: '2026-12-01' }, today)).toBe('order');
    expect(rangeProblem({ from: '2026-02-30', to: '2026-03-01' }, today)).toBe('format');
    expect(rangeProblem({ from: '', to: today }, today)).toBe('format');
  });

  it('counts days across a leap day and a month end without a time zone shifting them', () => {
    expect(daysInRange({ from: '2028-02-28', to: '2028-03-01' })).toBe(3);
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
  });

  it('makes the presets end today and clamps them to 366 days', () => {
    expect(lastDays(7, today)).toEqual({ from: '2026-11-30', to: today });
    expect(lastDays(1000, today)).toEqual({ from: addDays(today, -365), to: today });
    expect(lastDays(0, today)).toEqual({ from: today, to: today });
  });

  it('lets the picker offer only days up to today within 366 days of the first end picked', () => {
    expect(selectableDay('2026-12-07', today)).toBe(false);
    expect(selectableDay('2025-01-01', today)).toBe(true);
    expect(selectableDay(addDays('2025-06-01', 365), today, '2025-06-01')).toBe(true);
    expect(selectableDay(addDays('2025-06-01', 366), today, '2025-06-01')).toBe(false);
    expect(selectableDay(addDays('2026-06-01', -366), today, '2026-06-01')).toBe(false);
  });

  it('reads the range from the address, falling back to the last 30 days when it is missing or refused', () => {
    expect(rangeFromSearch(new URLSearchParams('from=2026-11-01&to=2026-11-30'), today)).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(rangeFromSearch(new URLSearchParams(''), today)).toEqual(lastDays(30, today));
    expect(rangeFromSearch(new URLSearchParams('from=2020-01-01&to=2026-11-30'), today)).toEqual(lastDays(30, today));
  });
});
