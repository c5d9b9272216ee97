/**
 * Calendar windows for posting quotas. WeChat resets a subscription account's quota at midnight and a service
 * account's at the start of the calendar month, both in China Standard Time; the time zone is configuration so
 * that the arithmetic stays correct for zones with daylight saving too.
 */
export type QuotaPeriod = 'day' | 'month';

export interface QuotaWindow {
  start: Date;
  /** Exclusive end: the instant the next window starts, i.e. when the quota resets. */
  end: Date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClockAt(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** How far the zone's wall clock is ahead of UTC at an instant, in milliseconds. */
function zoneOffsetMs(instant: Date, timeZone: string): number {
  const wall = wallClockAt(instant, timeZone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallAsUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which the zone's wall clock shows midnight of the given date (month/day may overflow). */
function midnightInZone(year: number, month: number, day: number, timeZone: string): Date {
  const wallAsUtc = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the first guess may differ from the offset at midnight across a DST change.
  let instant = wallAsUtc - zoneOffsetMs(new Date(wallAsUtc), timeZone);
  instant = wallAsUtc - zoneOffsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

export function quotaWindow(now: Date, period: QuotaPeriod, timeZone: string): QuotaWindow {
  const wall = wallClockAt(now, timeZone);
  if (period === 'day') {
    return {
      start: midnightInZone(wall.year, wall.month, wall.day, timeZone),
      end: midnightInZone(wall.year, wall.month, wall.day + 1, timeZone),
    };
  }
  return {
    start: midnightInZone(wall.year, wall.month, 1, timeZone),
    end: midnightInZone(wall.year, wall.month + 1, 1, timeZone),
  };
}

/**
 * From this instant on, every zone's offset from UTC is a whole number of minutes (the last with seconds, Monrovia's
 * −0:44:30, ended in 1972), so a zone's calendar day can only change on a whole UTC minute.
 */
const WHOLE_MINUTE_OFFSETS_FROM_MS = Date.UTC(1973, 0, 1);

/**
 * The day calendarDayIn found last in each zone, with the UTC minute it was found in: every statistics ask and
 * client request asks for today, and Intl's formatToParts costs tens of microseconds a call.
 */
const dayOfMinute = new Map<string, { minute: number; day: string }>();

/** The calendar day an instant falls on in `timeZone`, as YYYY-MM-DD (statistics count by these days). */
export function calendarDayIn(instant: Date, timeZone: string): string {
  const ms = instant.getTime();
  const minute = Math.floor(ms / 60_000);
  const remembered = ms >= WHOLE_MINUTE_OFFSETS_FROM_MS;
  const known = remembered ? dayOfMinute.get(timeZone) : undefined;
  if (known?.minute === minute) return known.day;
  const wall = wallClockAt(instant, timeZone);
  const day = `${wall.year}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
  if (remembered) dayOfMinute.set(timeZone, { minute, day });
  return day;
}
