/**
 * Date ranges of the statistics pages, as the API takes them: calendar days `YYYY-MM-DD` in the server's time zone,
 * both included, at most 366 days, `to` today (the server's today) at the latest. Days are handled as UTC midnights
 * so that no browser time zone shifts them.
 */
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

export interface DayRange {
  from: string;
  to: string;
}

export type RangeProblem = 'format' | 'order' | 'future' | 'tooLong';

export function isDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days in the range, both ends included. */
export function daysInRange({ from, to }: DayRange): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Why the API would refuse the range, or null when it is fine. */
export function rangeProblem(range: DayRange, today: string): RangeProblem | null {
  if (!isDay(range.from) || !isDay(range.to)) return 'format';
  if (range.from > range.to) return 'order';
  if (range.to > today) return 'future';
  if (daysInRange(range) > MAX_RANGE_DAYS) return 'tooLong';
  return null;
}

/** The last `days` days up to today. */
export function lastDays(days: number, today: string): DayRange {
  const length = Math.min(Math.max(1, Math.floor(days)), MAX_RANGE_DAYS);
  return { from: addDays(today, -(length - 1)), to: today };
}

/**
 * Whether the date picker may offer `day` as the other end of a range one end of which (`anchor`) is picked:
 * never after today, never more than 366 days (both included) from the anchor.
 */
export function selectableDay(day: string, today: string, anchor?: string): boolean {
  if (day > today) return false;
  if (!anchor) return true;
  const span = Math.abs(Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${anchor}T00:00:00Z`)) / DAY_MS)) + 1;
  return span <= MAX_RANGE_DAYS;
}

/** A range from the address bar (?from=&to=), or the default when absent or not acceptable. */
export function rangeFromSearch(search: URLSearchParams, today: string, defaultDays = 30): DayRange {
  const asked = { from: search.get('from') ?? '', to: search.get('to') ?? '' };
  return rangeProblem(asked, today) === null ? asked : lastDays(defaultDays, today);
}
