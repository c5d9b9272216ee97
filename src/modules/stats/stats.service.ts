import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { calendarDayIn } from '../accounts/quota-window.js';
import { ARTICLE_HOURLY_PREFIX } from './fold.repo.js';
import {
  ACTION_FIELDS,
  findStatsArticles,
  listAttributesOn,
  followersBefore,
  listArticleDayFigures,
  listArticleDetailDays,
  listBroadcastArticleDays,
  listFollowDays,
  listFollowNetDays,
  listHourly,
  listMessagePeriods,
  listNewsSentOn,
  listReadChannelDays,
  readRollupState,
  type SourceVersion,
  type ArticleDayFirsts,
  type EngagementFigures,
  type Period,
} from './stats.repo.js';

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

/** Whether `day` is a `YYYY-MM-DD` that exists (not 2026-02-30). */
export function isCalendarDay(day: unknown): day is string {
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day;
}

/** Milliseconds of a `YYYY-MM-DD` at UTC midnight, or undefined for a day that does not exist or is before FIRST_DAY. */
function dayNumber(day: string): number | undefined {
  return isCalendarDay(day) && day >= FIRST_DAY ? Date.parse(`${day}T00:00:00Z`) : undefined;
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

/** Days in each month of a common year; February gains one in a leap year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const twoDigits = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * The `YYYY-MM-DD` after `day`, by arithmetic on its parts: a year by day is 366 of these per answer, and a Date
 * formatted with toISOString costs several times more.
 */
function dayAfter(day: string): string {
  let year = Number(day.slice(0, 4));
  let month = Number(day.slice(5, 7));
  let date = Number(day.slice(8, 10)) + 1;
  if (date > MONTH_DAYS[month - 1]! + (month === 2 && isLeapYear(year) ? 1 : 0)) {
    date = 1;
    if (++month > 12) {
      month = 1;
      year++;
    }
  }
  return `${year}-${twoDigits(month)}-${twoDigits(date)}`;
}

/** The first day of the period after the one that starts on `start`. */
function nextPeriodStart(start: string, period: Period): string {
  if (period === 'day') return dayAfter(start);
  const ms = Date.parse(`${start}T00:00:00Z`);
  if (period === 'week') return new Date(ms + 7 * DAY_MS).toISOString().slice(0, 10);
  const next = new Date(ms);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return next.toISOString().slice(0, 10);
}

/**
 * The lists periodStarts made last, by range: a dashboard asks the same ranges over and over, and making a year's
 * list (366 day names) was a fifth of what a live ask allocated, so of how often it collected garbage.
 */
const madeStarts = new Map<string, readonly string[]>();
const MADE_STARTS_KEPT = 64;

/** The start of every period that overlaps [from, to], in order (a shared, frozen list). */
export function periodStarts(from: string, to: string, period: Period): readonly string[] {
  const key = `${period} ${from} ${to}`;
  let starts = madeStarts.get(key);
  if (starts === undefined) {
    const made: string[] = [];
    for (let start = periodStart(from, period); start <= to; start = nextPeriodStart(start, period)) made.push(start);
    starts = Object.freeze(made);
    if (madeStarts.size >= MADE_STARTS_KEPT) madeStarts.delete(madeStarts.keys().next().value!);
    madeStarts.set(key, starts);
  }
  return starts;
}

/** The last day of the period that starts on `start`. */
export function periodEnd(start: string, period: Period): string {
  return new Date(Date.parse(`${nextPeriodStart(start, period)}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

/**
 * Follower growth per whole period: follows, unfollows and net growth, followers at the end of the period (or now,
 * for the current one), and follows and unfollows by scene (those with any, in code-point order of their names).
 */
async function followerGrowth(db: Database, accountId: number, range: StatsRange) {
  const starts = periodStarts(range.from, range.to, range.granularity);
  const last = periodEnd(starts.at(-1)!, range.granularity);
  const [rows, before] = await Promise.all([listFollowDays(db, accountId, starts[0]!, last), followersBefore(db, accountId, starts[0]!)]);
  // Per period, follows and unfollows by scene; the scenes are ordered once for the whole answer, not per period.
  const periodOf = new Map(starts.map((start, index) => [start, index]));
  const byPeriod = starts.map(() => new Map<string, [number, number]>());
  const sceneNames = new Set<string>();
  for (const row of rows) {
    const scenes = byPeriod[periodOf.get(periodStart(row.day, range.granularity))!]!;
    for (const name in row.byScene) {
      const [follows, unfollows] = row.byScene[name]!;
      if (follows === 0 && unfollows === 0) continue;
      const sum = scenes.get(name);
      if (sum) {
        sum[0] += follows;
        sum[1] += unfollows;
      } else scenes.set(name, [follows, unfollows]);
      sceneNames.add(name);
    }
  }
  const orderedScenes = [...sceneNames].sort();
  let cumulative = before;
  return starts.map((refDate, index) => {
    const scenes = byPeriod[index]!;
    const userSource = [];
    let newUser = 0;
    let cancelUser = 0;
    for (const scene of orderedScenes) {
      const sum = scenes.get(scene);
      if (!sum) continue;
      userSource.push({ scene, newUser: sum[0], cancelUser: sum[1] });
      newUser += sum[0];
      cancelUser += sum[1];
    }
    cumulative += newUser - cancelUser;
    return { refDate, newUser, cancelUser, netUser: newUser - cancelUser, cumulateUser: cumulative, userSource };
  });
}

/**
 * Follows and unfollows by scene over the periods of `range` (as the growth answer's userSource, summed): most follows
 * first, then by scene, the order in which the console draws them.
 */
async function followerSources(db: Database, accountId: number, range: StatsRange) {
  const totals = new Map<string, { scene: string; newUser: number; cancelUser: number }>();
  for (const period of await followerGrowth(db, accountId, range)) {
    for (const source of period.userSource) {
      const total = totals.get(source.scene) ?? { scene: source.scene, newUser: 0, cancelUser: 0 };
      total.newUser += source.newUser;
      total.cancelUser += source.cancelUser;
      totals.set(source.scene, total);
    }
  }
  return [...totals.values()].sort((a, b) => b.newUser - a.newUser || (a.scene < b.scene ? -1 : 1));
}

/** Followers at the end of each period that starts on one of `starts` (in order): its last day's, or now for the current one. */
async function followersAtPeriodEnds(db: Database, accountId: number, starts: readonly string[], period: Period): Promise<number[]> {
  const [days, before] = await Promise.all([
    listFollowNetDays(db, accountId, starts[0]!, periodEnd(starts.at(-1)!, period)),
    followersBefore(db, accountId, starts[0]!),
  ]);
  const netByStart = new Map(starts.map((start) => [start, 0]));
  for (const { day, net } of days) {
    const start = periodStart(day, period);
    netByStart.set(start, netByStart.get(start)! + net);
  }
  let cumulative = before;
  return starts.map((start) => (cumulative += netByStart.get(start)!));
}

/** Rollup rows kept under WeChat's msg_type where it groups two of ours: 'wechat:4', 'wechat:6'. */
const WECHAT_TYPE_PREFIX = 'wechat:';

/**
 * WeChat's upstream msg_type (1 text, 2 image, 3 voice, 4 video and short video, 6 link and location) of a rollup
 * key, for the keys that hold exactly one WeChat type; undefined for the others ('all', our types WeChat groups).
 */
export function wechatMsgType(key: string): number | undefined {
  if (key.startsWith(WECHAT_TYPE_PREFIX)) return Number(key.slice(WECHAT_TYPE_PREFIX.length));
  return ({ text: 1, image: 2, voice: 3 } as Record<string, number>)[key];
}

/** Senders and messages per period and WeChat msg_type. */
async function upstreamByWechatType(db: Database, accountId: number, range: StatsRange) {
  const starts = periodStarts(range.from, range.to, range.granularity);
  const rows = await listMessagePeriods(db, accountId, range.granularity, starts[0]!, starts.at(-1)!);
  return rows.flatMap((row) =>
    row.byType
      .flatMap(({ msgType, msgUser, msgCount }) => {
        const code = wechatMsgType(msgType);
        return code === undefined ? [] : [{ refDate: row.periodStart, msgType: code, msgUser, msgCount }];
      })
      .sort((a, b) => a.msgType - b.msgType),
  );
}

/**
 * Activation per period: senders (distinct within the period), messages, average, by type, and followers by messages
 * sent. The '0' bucket is the followers at the end of the period less the period's senders: who left after writing
 * is not told apart, so each such sender makes it one lower (never below 0).
 */
async function activation(db: Database, accountId: number, range: StatsRange) {
  const starts = periodStarts(range.from, range.to, range.granularity);
  const [rows, followersAtEnd] = await Promise.all([
    listMessagePeriods(db, accountId, range.granularity, starts[0]!, starts.at(-1)!),
    followersAtPeriodEnds(db, accountId, starts, range.granularity),
  ]);
  const byStart = new Map(rows.map((row) => [row.periodStart, row]));
  return starts.map((refDate, index) => {
    const period = byStart.get(refDate);
    const msgUser = period?.msgUser ?? 0;
    const msgCount = period?.msgCount ?? 0;
    return {
      refDate,
      msgUser,
      msgCount,
      avgPerUser: msgUser === 0 ? 0 : Math.round((msgCount / msgUser) * 100) / 100,
      // Our own types only, by name.
      byType: period?.byType.filter((type) => !type.msgType.startsWith(WECHAT_TYPE_PREFIX)) ?? [],
      distribution: {
        '0': Math.max(0, followersAtEnd[index]! - msgUser),
        '1-5': period?.senders1To5 ?? 0,
        '6-10': period?.senders6To10 ?? 0,
        '>10': period?.sendersOver10 ?? 0,
      },
    };
  });
}

type ActionName = keyof typeof ACTION_FIELDS;

const noEngagement = (): EngagementFigures => ({
  intPageReadUser: 0,
  intPageReadCount: 0,
  oriPageReadUser: 0,
  oriPageReadCount: 0,
  shareUser: 0,
  shareCount: 0,
  addToFavUser: 0,
  addToFavCount: 0,
});

function addEngagement(figures: EngagementFigures, action: string, users: number, count: number) {
  const fields = ACTION_FIELDS[action as ActionName];
  if (!fields) return;
  figures[fields[0]] += users;
  figures[fields[1]] += count;
}

/** Every engagement figure's name (intPageReadUser, …). */
const FIGURE_NAMES = Object.values(ACTION_FIELDS).flat();

/** Adds each engagement figure of `row` to `figures`. */
function addFigures(figures: EngagementFigures, row: EngagementFigures) {
  for (const name of FIGURE_NAMES) figures[name] += row[name];
}

/** Engagement is counted per day: distinct users of a week or month are not kept, so other granularities are refused. */
function perDayOnly(range: StatsRange, what: string) {
  if (range.granularity !== 'day') throw new AppError('VALIDATION_FAILED', `querystring/granularity: ${what} are per day`, { field: 'granularity' });
}

/** Per day and article with any engagement: users and events per action, with the article's title. */
async function articles(db: Database, accountId: number, range: StatsRange) {
  perDayOnly(range, 'article statistics');
  return listArticleDayFigures(db, accountId, range.from, range.to);
}

/** The articles of one news broadcast the account sent (not a preview); 404 ARTICLE_NOT_FOUND if there is none. */
async function newsArticles(db: Database, accountId: number, msgDataId: number, timezone: string) {
  const known = await findStatsArticles(db, accountId, [msgDataId], timezone);
  if (known.length === 0) throw new AppError('ARTICLE_NOT_FOUND', `This account sent no news with msgDataId ${msgDataId}`);
  return known;
}

/**
 * One broadcast's articles from their send day to today (at most a year): per day, the figures to date (users are
 * distinct over the whole time: someone who read on two days counts once), with the broadcast's recipients.
 */
async function articleTotals(db: Database, accountId: number, msgDataId: number, today: string, timezone: string) {
  const [known, rows] = await Promise.all([newsArticles(db, accountId, msgDataId, timezone), listBroadcastArticleDays(db, accountId, msgDataId)]);
  const first = known[0]!.sentDay ?? today;
  const days = periodStarts(first, first > today ? first : today, 'day').slice(0, MAX_RANGE_DAYS);
  const byArticle = new Map<number, ArticleDayFirsts[]>();
  for (const row of rows) {
    const articleRows = byArticle.get(row.articleIndex);
    if (articleRows) articleRows.push(row);
    else byArticle.set(row.articleIndex, [row]);
  }
  return known
    .sort((a, b) => a.articleIndex - b.articleIndex)
    .flatMap((article) => {
      // The article's rows are in day order, as are the days: one pass adds each day's row (rows of days outside
      // the answer are passed over).
      const articleRows = byArticle.get(article.articleIndex) ?? [];
      let next = 0;
      const toDate = noEngagement();
      // One object literal per item, not a spread of toDate after refDate (V8's slow path; see channelBreakdown).
      return days.map((refDate) => {
        while (next < articleRows.length && articleRows[next]!.day < refDate) next++;
        if (next < articleRows.length && articleRows[next]!.day === refDate) addFigures(toDate, articleRows[next++]!);
        return {
          refDate,
          articleIndex: article.articleIndex,
          title: article.title,
          targetUser: article.targetUser,
          intPageReadUser: toDate.intPageReadUser,
          intPageReadCount: toDate.intPageReadCount,
          oriPageReadUser: toDate.oriPageReadUser,
          oriPageReadCount: toDate.oriPageReadCount,
          shareUser: toDate.shareUser,
          shareCount: toDate.shareCount,
          addToFavUser: toDate.addToFavUser,
          addToFavCount: toDate.addToFavCount,
        };
      });
    });
}

/** Just the engagement figures of a row, in the API's order. */
const engagementOf = (row: EngagementFigures): EngagementFigures => ({
  intPageReadUser: row.intPageReadUser,
  intPageReadCount: row.intPageReadCount,
  oriPageReadUser: row.oriPageReadUser,
  oriPageReadCount: row.oriPageReadCount,
  shareUser: row.shareUser,
  shareCount: row.shareCount,
  addToFavUser: row.addToFavUser,
  addToFavCount: row.addToFavCount,
});

/** Where a share went, as a channel of the engagement rollups: 'scene:<friend|moments|other>'. */
const SHARE_SCENE_PREFIX = 'scene:';

/**
 * The engagement of one day or hour from its rows `first` to `end` (one per channel, in channel order, each with every
 * action's figures), as the API gives it: totals (channel 'all'), by where articles were opened, and shares by where
 * they went. Each item is written out as one object literal: spreading figures into an object after other properties
 * takes V8's slow path, which was most of the time of a year's reads shaped that way (~1 ms of ~1.1 ms).
 */
function channelBreakdown(channels: Array<{ channel: string } & EngagementFigures>, first = 0, end = channels.length) {
  let totals: EngagementFigures | undefined;
  const bySource = [];
  const byShareScene = [];
  for (let index = first; index < end; index++) {
    const row = channels[index]!;
    if (row.channel === 'all') totals = row;
    else if (row.channel.startsWith(SHARE_SCENE_PREFIX)) {
      byShareScene.push({ shareScene: row.channel.slice(SHARE_SCENE_PREFIX.length), shareUser: row.shareUser, shareCount: row.shareCount });
    } else {
      bySource.push({
        userSource: row.channel,
        intPageReadUser: row.intPageReadUser,
        intPageReadCount: row.intPageReadCount,
        oriPageReadUser: row.oriPageReadUser,
        oriPageReadCount: row.oriPageReadCount,
        shareUser: row.shareUser,
        shareCount: row.shareCount,
        addToFavUser: row.addToFavUser,
        addToFavCount: row.addToFavCount,
      });
    }
  }
  return { totals: totals ?? noEngagement(), bySource, byShareScene };
}

/** Engagement rows of one day or hour (action, channel, users, count) shaped as channelBreakdown does. */
function engagementBreakdown(rows: Array<{ action: string; channel: string; users: number; count: number }>) {
  const channels = new Map<string, { channel: string } & EngagementFigures>();
  for (const row of rows) {
    let figures = channels.get(row.channel);
    if (!figures) channels.set(row.channel, (figures = { channel: row.channel, ...noEngagement() }));
    addEngagement(figures, row.action, row.users, row.count);
  }
  const { totals, bySource, byShareScene } = channelBreakdown([...channels.values()].sort((a, b) => (a.channel < b.channel ? -1 : 1)));
  return { ...engagementOf(totals), bySource, byShareScene };
}

/** The account's engagement per day: totals, reads by where they came from, shares by where they went. */
async function reads(db: Database, accountId: number, range: StatsRange) {
  perDayOnly(range, 'reads');
  // One row per day and channel, in that order (as the primary key keeps them): each day's rows follow one another.
  const rows = await listReadChannelDays(db, accountId, range.from, range.to);
  let next = 0;
  return periodStarts(range.from, range.to, 'day').map((refDate) => {
    const first = next;
    while (next < rows.length && rows[next]!.day === refDate) next++;
    const { totals, bySource, byShareScene } = channelBreakdown(rows, first, next);
    return {
      refDate,
      intPageReadUser: totals.intPageReadUser,
      intPageReadCount: totals.intPageReadCount,
      oriPageReadUser: totals.oriPageReadUser,
      oriPageReadCount: totals.oriPageReadCount,
      shareUser: totals.shareUser,
      shareCount: totals.shareCount,
      addToFavUser: totals.addToFavUser,
      addToFavCount: totals.addToFavCount,
      bySource,
      byShareScene,
    };
  });
}

/** One day's activation per hour (0–23): senders within the hour, messages, by type (ours, as per day). */
async function activationByHour(db: Database, accountId: number, day: string) {
  const rows = await listHourly(db, accountId, day, ['msg']);
  return Array.from({ length: 24 }, (_, hour) => {
    const types = rows.filter((row) => row.hour === hour).sort((a, b) => (a.key < b.key ? -1 : 1));
    const all = types.find((type) => type.key === 'all');
    return {
      refDate: day,
      refHour: hour,
      msgUser: all?.users ?? 0,
      msgCount: all?.count ?? 0,
      byType: types
        .filter((type) => type.key !== 'all' && !type.key.startsWith(WECHAT_TYPE_PREFIX))
        .map((type) => ({ msgType: type.key, msgUser: type.users, msgCount: type.count })),
    };
  });
}

/** One day's senders and messages per hour and WeChat msg_type, for WeChat's getupstreammsghour. */
async function upstreamHourByWechatType(db: Database, accountId: number, day: string) {
  const rows = await listHourly(db, accountId, day, ['msg']);
  return rows
    .flatMap((row) => {
      const code = wechatMsgType(row.key);
      return code === undefined ? [] : [{ refDate: day, refHour: row.hour, msgType: code, msgUser: row.users, msgCount: row.count }];
    })
    .sort((a, b) => a.refHour - b.refHour || a.msgType - b.msgType);
}

/** One day's article engagement per hour: totals, by source, and shares by scene (keys as in the daily reads). */
async function readsByHour(db: Database, accountId: number, day: string) {
  const rows = await listHourly(db, accountId, day, ['read', 'original', 'share', 'favorite']);
  return Array.from({ length: 24 }, (_, hour) => ({
    refDate: day,
    refHour: hour,
    ...engagementBreakdown(rows.filter((row) => row.hour === hour).map((row) => ({ action: row.metric, channel: row.key, users: row.users, count: row.count }))),
  }));
}

/**
 * One broadcast's articles on one day, per hour: distinct users within the hour and events per action. Hours before
 * the send are zeros, as are days before it (the route answers for any day up to today).
 */
async function articleByHour(db: Database, accountId: number, msgDataId: number, day: string, timezone: string) {
  const known = await newsArticles(db, accountId, msgDataId, timezone);
  const metrics = Object.keys(ACTION_FIELDS).map((action) => `${ARTICLE_HOURLY_PREFIX}${action}`);
  const rows = await listHourly(db, accountId, day, metrics, `${msgDataId}/`);
  const figures = new Map<string, EngagementFigures>();
  for (const row of rows) {
    const key = `${row.key}@${row.hour}`;
    const hour = figures.get(key) ?? noEngagement();
    addEngagement(hour, row.metric.slice(ARTICLE_HOURLY_PREFIX.length), row.users, row.count);
    figures.set(key, hour);
  }
  return known
    .sort((a, b) => a.articleIndex - b.articleIndex)
    .flatMap((article) =>
      Array.from({ length: 24 }, (_, hour) => ({
        refDate: day,
        refHour: hour,
        articleIndex: article.articleIndex,
        title: article.title,
        ...(figures.get(`${msgDataId}/${article.articleIndex}@${hour}`) ?? noEngagement()),
      })),
    );
}

/** See the service's articleDetailsToDate. */
async function articleDetailsToDate(db: Database, accountId: number, msgDataId: number, days: string[], timezone: string) {
  const figures = new Map<string, Map<string, [number, number]>>();
  if (days.length === 0) return figures;
  const rows = (await listArticleDetailDays(db, accountId, msgDataId, days.at(-1)!, timezone)).sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const indexes = new Set(rows.map((row) => row.articleIndex));
  for (const articleIndex of indexes) {
    const toDate = new Map<string, [number, number]>();
    const articleRows = rows.filter((row) => row.articleIndex === articleIndex);
    let next = 0;
    for (const day of days) {
      for (; next < articleRows.length && articleRows[next]!.day <= day; next++) {
        const row = articleRows[next]!;
        const [users, count] = toDate.get(row.detail) ?? [0, 0];
        toDate.set(row.detail, [users + row.firstUsers, count + row.count]);
      }
      figures.set(`${articleIndex}/${day}`, new Map(toDate));
    }
  }
  return figures;
}

/** The profile attributes follower attributes are given for, in this order. */
export const FOLLOWER_ATTRIBUTES = ['gender', 'language', 'country', 'province', 'city'] as const;
const REGIONS = new Set<string>(['country', 'province', 'city']);

/**
 * The account's followers at the end of `day` by gender, language, country, province and city, most common first
 * (ties by name), with counts and shares of all followers; for the regions, the `top` values and the rest as "other".
 */
async function attributes(db: Database, accountId: number, day: string, top: number) {
  const rows = await listAttributesOn(db, accountId, day);
  const byAttribute = new Map<string, Array<{ value: string; followers: number }>>(FOLLOWER_ATTRIBUTES.map((attribute) => [attribute, []]));
  for (const row of rows) byAttribute.get(row.attribute)?.push({ value: row.value, followers: row.followers });
  // Every follower has one gender, so its values add up to the followers.
  const total = byAttribute.get('gender')!.reduce((sum, row) => sum + row.followers, 0);
  const share = (followers: number) => (total === 0 ? 0 : Math.round((followers / total) * 10_000) / 10_000);
  const items = FOLLOWER_ATTRIBUTES.flatMap((attribute) => {
    const values = byAttribute.get(attribute)!.sort((a, b) => b.followers - a.followers || (a.value < b.value ? -1 : 1));
    const limit = REGIONS.has(attribute) ? top : values.length;
    const shown = values.slice(0, limit);
    const rest = values.slice(limit).reduce((sum, row) => sum + row.followers, 0);
    return [...shown, ...(rest > 0 ? [{ value: 'other', followers: rest }] : [])].map((row) => ({ attribute, value: row.value, followers: row.followers, share: share(row.followers) }));
  });
  return { refDate: day, total, items };
}

/**
 * Statistics for marketers, live: read from the rollups the worker folds from the event tables (fold.repo.ts)
 * within a second or so of each event.
 */
export function createStatsService(deps: { db: Database; clock: Clock; timeZone: string }) {
  const { db } = deps;
  const today = () => calendarDayIn(deps.clock.now(), deps.timeZone);
  /** A single day a route takes as `date`: a calendar day from FIRST_DAY to today, else a 400 naming `date`. */
  const checkDay = (day: string) => {
    if (dayNumber(day) === undefined) throw new AppError('VALIDATION_FAILED', `querystring/date: ${day} is not a calendar day from ${FIRST_DAY} on`, { field: 'date' });
    if (day > today()) throw new AppError('VALIDATION_FAILED', `querystring/date: ${day} is after today (${today()})`, { field: 'date' });
    return day;
  };
  const checked = (range: StatsRange) => checkRange(range, today());
  return {
    followers: (accountId: number, range: StatsRange) => followerGrowth(db, accountId, checked(range)),
    followerSources: (accountId: number, range: StatsRange) => followerSources(db, accountId, checked(range)),
    activation: (accountId: number, range: StatsRange) => activation(db, accountId, checked(range)),
    articles: (accountId: number, range: StatsRange) => articles(db, accountId, checked(range)),
    articleTotals: (accountId: number, msgDataId: number) => articleTotals(db, accountId, msgDataId, today(), deps.timeZone),
    reads: (accountId: number, range: StatsRange) => reads(db, accountId, checked(range)),
    /** Today in the statistics' time zone. */
    today,
    /**
     * The state of an account's rollups (readRollupState): answers computed from the rollups after reading it stay
     * true while its version holds; whatever else they show (a broadcast's recipients while it is sending) is not
     * covered. With `since`, also the first day changed after those versions.
     */
    rollupState: (accountId: number, since?: SourceVersion[]) => readRollupState(db, accountId, since),
    /** Checks a range as the routes take it (a 400 naming the field), for answers that may not compute anything. */
    checkRange: checked,
    /** One day, per hour: activation, and article engagement. */
    activationByHour: (accountId: number, day: string) => activationByHour(db, accountId, checkDay(day)),
    readsByHour: (accountId: number, day: string) => readsByHour(db, accountId, checkDay(day)),
    articleByHour: (accountId: number, msgDataId: number, day: string) => articleByHour(db, accountId, msgDataId, checkDay(day), deps.timeZone),
    /** Follower attributes at the end of `date` (today by default). */
    attributes: (accountId: number, query: { date?: string; top: number }) => {
      return attributes(db, accountId, checkDay(query.date ?? today()), query.top);
    },
    /**
     * One broadcast's reads by source and shares to Moments by source, per article and day up to `lastDay`, to date
     * (users distinct over the whole time): `figures.get('<index>/<day>')` maps a detail ('read:<source>',
     * 'moments_share:<session|moments|other>') to [users, events]. For WeChat's getarticletotal.
     */
    articleDetailsToDate: (accountId: number, msgDataId: number, days: string[]) => articleDetailsToDate(db, accountId, msgDataId, days, deps.timeZone),
    /** The news broadcasts sent on a day (their msg_data_ids), for WeChat's getarticletotal. */
    articlesSentOn: (accountId: number, day: string) => listNewsSentOn(db, accountId, day, deps.timeZone),
    /** One day's senders and messages per hour and WeChat msg_type, for WeChat's getupstreammsghour. */
    upstreamHourByWechatType: (accountId: number, day: string) => upstreamHourByWechatType(db, accountId, checkDay(day)),
    /** Senders and messages per WeChat msg_type, for WeChat's getupstreammsg views. */
    upstreamByWechatType: (accountId: number, range: StatsRange) => upstreamByWechatType(db, accountId, checked(range)),
  };
}
