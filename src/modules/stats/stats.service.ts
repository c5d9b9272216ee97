import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { followersBefore, listFollowDays, listMessagePeriods, type Period } from './stats.repo.js';

export type StatsService = ReturnType<typeof createStatsService>;

/** The longest range a stats route answers, in days (a leap year). */
export const MAX_RANGE_DAYS = 366;

export interface StatsRange {
  from: string;
  to: string;
  granularity: Period;
}

const DAY_MS = 86_400_000;

/** The first day a range may start on: no WeChat account (nor this platform) has events before it. */
const FIRST_DAY = '2000-01-01';

/** Milliseconds of a `YYYY-MM-DD` at UTC midnight, or undefined for a day that does not exist (2026-02-30) or is before FIRST_DAY. */
function dayNumber(day: string): number | undefined {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day || day < FIRST_DAY ? undefined : ms;
}

/** Today's date in `timeZone`, as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Checks a range as every stats route takes it; a bad one is a 400 naming the field. */
export function checkRange(range: StatsRange, today: string): StatsRange {
  const from = dayNumber(range.from);
  if (from === undefined) throw new AppError('VALIDATION_FAILED', `querystring/from: ${range.from} is not a calendar day from ${FIRST_DAY} on`, { field: 'from' });
  const to = dayNumber(range.to);
  if (to === undefined) throw new AppError('VALIDATION_FAILED', `querystring/to: ${range.to} is not a calendar day from ${FIRST_DAY} on`, { field: 'to' });
  if (from > to) throw new AppError('VALIDATION_FAILED', `querystring/from: ${range.from} is after to (${range.to})`, { field: 'from' });
  if (range.to > today) throw new AppError('VALIDATION_FAILED', `querystring/to: ${range.to} is after today (${today})`, { field: 'to' });
  if ((to - from) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    throw new AppError('VALIDATION_FAILED', `querystring/to: a range holds at most ${MAX_RANGE_DAYS} days`, { field: 'to' });
  }
  return range;
}

/** The first day of the period holding `day`: the day itself, the Monday of its ISO week, or the 1st of its month. */
export function periodStart(day: string, period: Period): string {
  if (period === 'day') return day;
  if (period === 'month') return `${day.slice(0, 8)}01`;
  const ms = Date.parse(`${day}T00:00:00Z`);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(ms - weekday * DAY_MS).toISOString().slice(0, 10);
}

/** The first day of the period after the one that starts on `start`. */
function nextPeriodStart(start: string, period: Period): string {
  const ms = Date.parse(`${start}T00:00:00Z`);
  if (period === 'day') return new Date(ms + DAY_MS).toISOString().slice(0, 10);
  if (period === 'week') return new Date(ms + 7 * DAY_MS).toISOString().slice(0, 10);
  const next = new Date(ms);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return next.toISOString().slice(0, 10);
}

/** The start of every period that overlaps [from, to], in order. */
export function periodStarts(from: string, to: string, period: Period): string[] {
  const starts: string[] = [];
  for (let start = periodStart(from, period); start <= to; start = nextPeriodStart(start, period)) starts.push(start);
  return starts;
}

/** The last day of the period that starts on `start`. */
export function periodEnd(start: string, period: Period): string {
  return new Date(Date.parse(`${nextPeriodStart(start, period)}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

/**
 * Follower growth per whole period: follows, unfollows and net growth, followers at the end of the period (or now,
 * for the current one), and follows and unfollows by scene.
 */
async function followerGrowth(db: Database, accountId: number, range: StatsRange) {
  const starts = periodStarts(range.from, range.to, range.granularity);
  const last = periodEnd(starts.at(-1)!, range.granularity);
  const [rows, before] = await Promise.all([listFollowDays(db, accountId, starts[0]!, last), followersBefore(db, accountId, starts[0]!)]);
  const byStart = new Map(starts.map((start) => [start, new Map<string, { scene: string; newUser: number; cancelUser: number }>()]));
  for (const row of rows) {
    const scenes = byStart.get(periodStart(row.day, range.granularity))!;
    const scene = scenes.get(row.scene) ?? { scene: row.scene, newUser: 0, cancelUser: 0 };
    scene.newUser += row.newUser;
    scene.cancelUser += row.cancelUser;
    scenes.set(row.scene, scene);
  }
  let cumulative = before;
  return starts.map((refDate) => {
    const userSource = [...byStart.get(refDate)!.values()].filter((s) => s.newUser > 0 || s.cancelUser > 0).sort((a, b) => (a.scene < b.scene ? -1 : 1));
    const newUser = userSource.reduce((sum, s) => sum + s.newUser, 0);
    const cancelUser = userSource.reduce((sum, s) => sum + s.cancelUser, 0);
    cumulative += newUser - cancelUser;
    return { refDate, newUser, cancelUser, netUser: newUser - cancelUser, cumulateUser: cumulative, userSource };
  });
}

/** Activation per period: senders (distinct within the period), messages, average, by type, senders by count. */
async function activation(db: Database, accountId: number, range: StatsRange) {
  const starts = periodStarts(range.from, range.to, range.granularity);
  const rows = await listMessagePeriods(db, accountId, range.granularity, starts[0]!, starts.at(-1)!);
  const byStart = new Map(starts.map((start) => [start, [] as typeof rows]));
  for (const row of rows) byStart.get(row.periodStart)?.push(row);
  return starts.map((refDate) => {
    const types = byStart.get(refDate)!.sort((a, b) => (a.msgType < b.msgType ? -1 : 1));
    const all = types.find((type) => type.msgType === 'all');
    const msgUser = all?.msgUser ?? 0;
    const msgCount = all?.msgCount ?? 0;
    return {
      refDate,
      msgUser,
      msgCount,
      avgPerUser: msgUser === 0 ? 0 : Math.round((msgCount / msgUser) * 100) / 100,
      byType: types.filter((type) => type.msgType !== 'all').map(({ msgType, msgUser: users, msgCount: count }) => ({ msgType, msgUser: users, msgCount: count })),
      distribution: { '1-5': all?.senders1To5 ?? 0, '6-10': all?.senders6To10 ?? 0, '>10': all?.sendersOver10 ?? 0 },
    };
  });
}

/**
 * Statistics for marketers, live: read from the rollups the worker folds from the event tables (fold.repo.ts)
 * within a second or so of each event.
 */
export function createStatsService(deps: { db: Database; clock: Clock; timeZone: string }) {
  const { db } = deps;
  const checked = (range: StatsRange) => checkRange(range, todayIn(deps.timeZone, deps.clock.now()));
  return {
    followers: (accountId: number, range: StatsRange) => followerGrowth(db, accountId, checked(range)),
    activation: (accountId: number, range: StatsRange) => activation(db, accountId, checked(range)),
  };
}
