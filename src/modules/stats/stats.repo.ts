import { sql, type SQL } from 'drizzle-orm';
import { preparedRead, type Database, type Executor } from '../../db/client.js';
import { COMBINED_TYPE_USER_COLUMNS, ENGAGEMENT_COLUMNS, MESSAGE_TYPE_COLUMNS } from '../../db/schema/stats.js';
import { MESSAGE_TYPES, WECHAT_COMBINED_TYPES, type EngagementAction, type MessageType, type WechatCombinedType } from '../followers/wechat-constants.js';

/**
 * Reads of the rollups: plain index range scans returning their rows as they are; the service shapes them into
 * periods (grouping a few thousand rows in JS is cheaper than doing it in SQL with JSON aggregates). Days are
 * `YYYY-MM-DD` strings in the rollups' time zone.
 */

export type Period = 'day' | 'week' | 'month';

/**
 * Dates travel as days since 1970-01-01: independent of the server's DateStyle, and cheaper for PostgreSQL to
 * write than to_char over thousands of rows.
 */
const epochDays = (column: ReturnType<typeof sql>) => sql`(${column} - DATE '1970-01-01')`;
const dayOf = (epochDay: number) => new Date(epochDay * 86_400_000).toISOString().slice(0, 10);

/**
 * dayOf for the rows of one read, each day formatted once: a year's read names at most 366 days in thousands of
 * rows, and formatting a Date costs more than the rest of a row's handling.
 */
function dayNames(): (epochDay: number) => string {
  const names = new Map<number, string>();
  return (epochDay) => {
    let name = names.get(epochDay);
    if (name === undefined) names.set(epochDay, (name = dayOf(epochDay)));
    return name;
  };
}

/** Replaces each row's epoch-day `key` with its `YYYY-MM-DD`, in place (the rows are the driver's, fresh per read). */
function withDays<Row extends Record<Key, unknown>, Key extends string>(rows: Row[], key: Key): Array<Omit<Row, Key> & Record<Key, string>> {
  const name = dayNames();
  for (const row of rows) (row as Record<Key, unknown>)[key] = name(row[key] as number);
  return rows as unknown as Array<Omit<Row, Key> & Record<Key, string>>;
}

/** The version of an account's rollups from one event table, and the epoch of that version (stats_account_versions). */
export type SourceVersion = { source: string; version: number; epoch: number };

/**
 * An account's rollups as one read saw them. `version` (every event table's version in one string, '' while the
 * account has none): an answer read from the rollups after this was read is current for as long as it stays the
 * same, since every change to the account's rollups writes a version never used before, in the same transaction,
 * and a reset empties both together. `epochs`: while it stays the same, stats_day_changes tells which days changed.
 * `changedSince`: when the read was asked about earlier versions, the first day changed after them (in the same
 * snapshot as the versions), undefined for none.
 */
export type RollupState = { version: string; epochs: string; sources: SourceVersion[]; changedSince?: { since: SourceVersion[]; firstDay: string | undefined } };

/**
 * The first day of the rollups from source `v` changed after the version of `s` (the version asked about), as days
 * since 1970-01-01; null when the version has not moved. Every fold records the days it changed with its version, so
 * the version a fold wrote has days recorded (or is its row's epoch: a recount's), and versions only grow. A version
 * that moved back, or without any day recorded, was written by something that records no days (code from before
 * stats_day_changes, say): then day 0, so that everything is computed again.
 */
const firstChangedAfter = sql`CASE
  WHEN s.version IS NULL OR s.version = v.version THEN NULL
  WHEN s.version > v.version OR v.version <> v.epoch AND NOT EXISTS (
    SELECT 1 FROM stats_day_changes c WHERE c.account_id = v.account_id AND c.source = v.source AND c.version = v.version) THEN 0
  ELSE (
    SELECT min(${epochDays(sql`x.day`)}) FROM (
      -- OFFSET 0 keeps min(day) from being planned as a walk of the days in order, filtering on version: after a
      -- fold only today's rows are past the version asked about, and the version index finds them at once.
      SELECT c.day FROM stats_day_changes c WHERE c.account_id = v.account_id AND c.source = v.source AND c.version > s.version OFFSET 0) x)
  END`;

const rollupState = preparedRead<SourceVersion & { firstChanged: number | null }, { accountId: number; sinceSources: string[]; sinceVersions: number[] }>(
  'stats_rollup_state',
  sql`
    SELECT v.source, v.version, v.epoch, ${firstChangedAfter} AS "firstChanged"
    FROM stats_account_versions v
    LEFT JOIN unnest(${sql.placeholder('sinceSources')}::text[], ${sql.placeholder('sinceVersions')}::bigint[]) AS s(source, version) ON s.source = v.source
    WHERE v.account_id = ${sql.placeholder('accountId')}
    ORDER BY v.source`,
);

/**
 * The account's rollup state; with `since` (each event table's version at an earlier read), also the first day
 * changed after it. Prepared: it is read on every ask of every kept answer.
 */
export async function readRollupState(db: Database, accountId: number, since?: SourceVersion[]): Promise<RollupState> {
  const rows = await rollupState(db, { accountId, sinceSources: (since ?? []).map(({ source }) => source), sinceVersions: (since ?? []).map(({ version }) => version) });
  let firstChanged: number | undefined;
  const sources = rows.map(({ source, version, epoch, firstChanged: day }) => {
    if (day !== null && (firstChanged === undefined || day < firstChanged)) firstChanged = day;
    return { source, version, epoch };
  });
  return {
    version: sources.map(({ source, version }) => `${source}:${version}`).join(','),
    epochs: sources.map(({ source, epoch }) => `${source}:${epoch}`).join(','),
    sources,
    changedSince: since && { since, firstDay: firstChanged === undefined ? undefined : dayOf(firstChanged) },
  };
}

export type FollowDayRow = {
  day: string;
  /** Follows and unfollows by scene (the day's totals are their sums). */
  byScene: Record<string, [number, number]>;
};

/** The values of a read of one account's days from `from` to `to`, both included. */
type AccountDays = { accountId: number; from: string; to: string };
const inRange = (column: SQL) => sql`${column} BETWEEN ${sql.placeholder('from')}::date AND ${sql.placeholder('to')}::date`;
const ofAccount = (column: SQL) => sql`${column} = ${sql.placeholder('accountId')}`;

const followDays = preparedRead<Omit<FollowDayRow, 'day'> & { day: number }, AccountDays>('stats_follow_days', sql`
  SELECT ${epochDays(sql`day`)} AS day, by_scene AS "byScene"
  FROM stats_follow_daily
  WHERE ${ofAccount(sql`account_id`)} AND ${inRange(sql`day`)}`);

/** Follows and unfollows per day from `from` to `to`, both included, in no particular order. */
export async function listFollowDays(db: Database, accountId: number, from: string, to: string): Promise<FollowDayRow[]> {
  return withDays(await followDays(db, { accountId, from, to }), 'day');
}

/** Net growth (follows less unfollows) per day from `from` to `to`, days without follows left out, in no particular order. */
export async function listFollowNetDays(db: Database, accountId: number, from: string, to: string): Promise<Array<{ day: string; net: number }>> {
  return withDays(await followNetDays(db, { accountId, from, to }), 'day');
}
const followNetDays = preparedRead<{ day: number; net: number }, AccountDays>('stats_follow_net_days', sql`
  SELECT ${epochDays(sql`day`)} AS day, new_user - cancel_user AS net
  FROM stats_follow_daily
  WHERE ${ofAccount(sql`account_id`)} AND ${inRange(sql`day`)}`);

/** Followers gained minus lost before `day`: the count the cumulative figures start from. */
export async function followersBefore(db: Database, accountId: number, day: string): Promise<number> {
  const rows = await followersBeforeDay(db, { accountId, day });
  return rows[0]?.followers ?? 0;
}
const followersBeforeDay = preparedRead<{ followers: number }, { accountId: number; day: string }>('stats_followers_before', sql`
  SELECT coalesce(sum(new_user - cancel_user), 0)::int AS followers FROM stats_follow_daily
  WHERE ${ofAccount(sql`account_id`)} AND day < ${sql.placeholder('day')}::date`);

/** Senders and messages of one message type, or of one of WeChat's combined types ('wechat:4', 'wechat:6'), in a period. */
export type MessageTypeFigures = { msgType: MessageType | WechatCombinedType; msgUser: number; msgCount: number };

export type MessagePeriodRow = {
  periodStart: string;
  msgUser: number;
  msgCount: number;
  senders1To5: number;
  senders6To10: number;
  sendersOver10: number;
  /** The message types and WeChat combined types the period has messages of, by name (in code point order). */
  byType: MessageTypeFigures[];
};

/**
 * Where each type's figures are in a stats_message_periods row, in the order of byType: a WeChat combined type's
 * senders have their column, its messages are the sum of its types'.
 */
const BY_TYPE_COLUMNS = [
  ...MESSAGE_TYPES.map((type) => ({ msgType: type, users: MESSAGE_TYPE_COLUMNS[type].users, counts: [MESSAGE_TYPE_COLUMNS[type].count] })),
  ...Object.entries(WECHAT_COMBINED_TYPES).map(([key, members]) => ({
    msgType: key as WechatCombinedType,
    users: COMBINED_TYPE_USER_COLUMNS[key as WechatCombinedType],
    counts: members.map((member) => MESSAGE_TYPE_COLUMNS[member].count),
  })),
].sort((a, b) => (a.msgType < b.msgType ? -1 : 1));
const byTypeSelected = sql.join(
  [...new Set(BY_TYPE_COLUMNS.flatMap(({ users, counts }) => [users, ...counts]))].map((column) => sql.identifier(column)),
  sql`, `,
);

const messagePeriods = preparedRead<
  Omit<MessagePeriodRow, 'periodStart' | 'byType'> & { periodStart: number } & Record<string, number>,
  AccountDays & { period: Period }
>('stats_message_periods', sql`
  SELECT ${epochDays(sql`period_start`)} AS "periodStart", msg_user AS "msgUser", msg_count AS "msgCount",
         senders_1_to_5 AS "senders1To5", senders_6_to_10 AS "senders6To10", senders_over_10 AS "sendersOver10", ${byTypeSelected}
  FROM stats_message_periods
  WHERE ${ofAccount(sql`account_id`)} AND period = ${sql.placeholder('period')} AND ${inRange(sql`period_start`)}
  ORDER BY period_start`);

/**
 * Message rollups of one period kind whose periods start from `fromStart` to `toStart`, both included, in order: one
 * row per period with messages, its type columns gathered into byType. A year by day is 365 rows of a few integers;
 * a row per period and type, as kept before, was nine times as many rows for the driver to parse.
 */
export async function listMessagePeriods(db: Database, accountId: number, period: Period, fromStart: string, toStart: string): Promise<MessagePeriodRow[]> {
  const rows = await messagePeriods(db, { accountId, period, from: fromStart, to: toStart });
  const name = dayNames();
  return rows.map((row) => {
    const byType: MessageTypeFigures[] = [];
    for (const { msgType, users, counts } of BY_TYPE_COLUMNS) {
      let msgCount = 0;
      for (const count of counts) msgCount += row[count]!;
      if (msgCount > 0) byType.push({ msgType, msgUser: row[users]!, msgCount });
    }
    return {
      periodStart: name(row.periodStart),
      msgUser: row.msgUser,
      msgCount: row.msgCount,
      senders1To5: row.senders1To5,
      senders6To10: row.senders6To10,
      sendersOver10: row.sendersOver10,
      byType,
    };
  });
}

/** The engagement actions of the rollups, each with WeChat's names for its users and events, in the API's order. */
export const ACTION_FIELDS = {
  read: ['intPageReadUser', 'intPageReadCount'],
  original: ['oriPageReadUser', 'oriPageReadCount'],
  share: ['shareUser', 'shareCount'],
  favorite: ['addToFavUser', 'addToFavCount'],
} as const satisfies Record<EngagementAction, readonly [string, string]>;
export type EngagementFigures = Record<(typeof ACTION_FIELDS)[keyof typeof ACTION_FIELDS][number], number>;

/**
 * Each action's columns of an engagement rollup row (`table` is its alias) under WeChat's names, in the API's order:
 * its users (`users`, or `firstUsers`: the users new to the article) and its events.
 */
function engagementFigures(table: SQL, users: 'users' | 'firstUsers'): SQL {
  return sql.join(
    Object.entries(ACTION_FIELDS).flatMap(([action, [usersName, countName]]) => {
      const columns = ENGAGEMENT_COLUMNS[action as EngagementAction];
      return [
        sql`${table}.${sql.identifier(columns[users])} AS ${sql.identifier(usersName)}`,
        sql`${table}.${sql.identifier(columns.count)} AS ${sql.identifier(countName)}`,
      ];
    }),
    sql`, `,
  );
}
const articleDayFigures = engagementFigures(sql`d`, 'users');
const articleDayFirsts = engagementFigures(sql`d`, 'firstUsers');
const readDayFigures = engagementFigures(sql`r`, 'users');

export type ArticleDayFigures = { refDate: string; msgDataId: number; articleIndex: number; title: string } & EngagementFigures;

/** A key for an article (msg_data_id + index) in a Map: a number, so a year of rows builds no key strings. */
const articleKey = (msgDataId: number, articleIndex: number) => msgDataId * 65_536 + articleIndex;

const articleDayFigureRows = preparedRead<Omit<ArticleDayFigures, 'refDate'> & { refDate: number }, AccountDays>('stats_article_day_figures', sql`
  SELECT ${epochDays(sql`d.day`)} AS "refDate", d.msg_data_id AS "msgDataId", d.article_index AS "articleIndex", '' AS title, ${articleDayFigures}
  FROM stats_article_days d
  WHERE ${ofAccount(sql`d.account_id`)} AND ${inRange(sql`d.day`)}
  ORDER BY d.day, d.msg_data_id, d.article_index`);
const rangeArticleTitles = preparedRead<{ msgDataId: number; articleIndex: number; title: string }, AccountDays>('stats_range_article_titles', sql`
  SELECT a.msg_data_id AS "msgDataId", a.idx AS "articleIndex", a.title
  FROM broadcast_articles a JOIN broadcasts b ON b.account_id = a.account_id AND b.msg_data_id = a.msg_data_id
  WHERE ${ofAccount(sql`a.account_id`)} AND NOT b.is_preview
    AND a.msg_data_id IN (SELECT r.msg_data_id FROM stats_article_days r WHERE ${ofAccount(sql`r.account_id`)} AND ${inRange(sql`r.day`)})`);

/**
 * Engagement per day and article from `from` to `to`, for every article of the account with any: one row each with
 * the article's title ('' for an article of no sent news broadcast), fields in the API's order, ordered by day,
 * msg_data_id and index (the order of stats_article_days_day_idx, so the rows can come off the index unsorted).
 * The titles (of the sent articles of the broadcasts with rows in the range, not of every article the account ever
 * sent: years of daily news are thousands) are read beside the rows and set on them here: each is then decoded once,
 * not once per day. Both statements are prepared (the year's read is the stats API's heaviest, and planning was a
 * measurable part of it).
 */
export async function listArticleDayFigures(db: Database, accountId: number, from: string, to: string): Promise<ArticleDayFigures[]> {
  const [rows, titles] = await Promise.all([articleDayFigureRows(db, { accountId, from, to }), rangeArticleTitles(db, { accountId, from, to })]);
  const titleOf = new Map(titles.map((article) => [articleKey(article.msgDataId, article.articleIndex), article.title]));
  for (const row of rows) row.title = titleOf.get(articleKey(row.msgDataId, row.articleIndex)) ?? '';
  return withDays(rows, 'refDate');
}

/** One article's engagement on a day: per action, the users new to the article that day (the *User fields) and the events. */
export type ArticleDayFirsts = { articleIndex: number; day: string } & EngagementFigures;

/** Every day of engagement with the articles of one broadcast (msg_data_id), ordered by article index and day. */
export async function listBroadcastArticleDays(db: Database, accountId: number, msgDataId: number): Promise<ArticleDayFirsts[]> {
  return withDays(await broadcastArticleDays(db, { accountId, msgDataId }), 'day');
}
const broadcastArticleDays = preparedRead<Omit<ArticleDayFirsts, 'day'> & { day: number }, { accountId: number; msgDataId: number }>('stats_broadcast_article_days', sql`
  SELECT d.article_index AS "articleIndex", ${epochDays(sql`d.day`)} AS day, ${articleDayFirsts}
  FROM stats_article_days d WHERE ${ofAccount(sql`d.account_id`)} AND d.msg_data_id = ${sql.placeholder('msgDataId')}
  ORDER BY d.article_index, d.day`);

export type ArticleDetailRow = { articleIndex: number; detail: string; day: string; count: number; firstUsers: number };

/**
 * One broadcast's article-page reads by where the article was opened ('read:<source>') and its shares to Moments by
 * where the sharer had opened it ('moments_share:session|moments|other', WeChat's grouping), per article and day up
 * to `lastDay`: events, and users counted on the first day they did so (their running sum is the users to date).
 * Counted from the events (index article_engagements_article_idx): only WeChat's getarticletotal asks, for the
 * articles of one day, so the rollups do not carry this breakdown.
 */
export async function listArticleDetailDays(db: Executor, accountId: number, msgDataId: number, lastDay: string, timezone: string): Promise<ArticleDetailRow[]> {
  const result = await db.execute<Omit<ArticleDetailRow, 'day'> & { day: number }>(sql`
    WITH e AS (
      SELECT article_index, wechat_user_id, (occurred_at AT TIME ZONE ${timezone})::date AS day,
             CASE WHEN action = 'read' THEN 'read:' || source
                  ELSE 'moments_share:' || CASE WHEN source IN ('session', 'moments') THEN source ELSE 'other' END END AS detail
      FROM article_engagements
      WHERE account_id = ${accountId} AND msg_data_id = ${msgDataId} AND (action = 'read' OR (action = 'share' AND share_scene = 'moments'))
        AND occurred_at < ((${lastDay}::date + 1)::timestamp AT TIME ZONE ${timezone})
    ), firsts AS (
      SELECT article_index, detail, min(day) AS day FROM e GROUP BY article_index, detail, wechat_user_id
    )
    SELECT article_index AS "articleIndex", detail, ${epochDays(sql`day`)} AS day, sum(events)::int AS count, sum(first_users)::int AS "firstUsers"
    FROM (SELECT article_index, detail, day, count(*) AS events, 0 AS first_users FROM e GROUP BY 1, 2, 3
          UNION ALL
          SELECT article_index, detail, day, 0, count(*) FROM firsts GROUP BY 1, 2, 3) AS t
    GROUP BY 1, 2, 3`);
  return withDays(result.rows, 'day');
}

export type StatsArticle = { msgDataId: number; articleIndex: number; title: string; sentDay: string | null; targetUser: number };

/**
 * The articles of the given broadcasts (by msg_data_id), deleted ones too (what happened stays in the statistics),
 * with the broadcast's send day in `timezone` and its recipients (WeChat's target_user).
 */
export async function findStatsArticles(db: Executor, accountId: number, msgDataIds: number[], timezone: string): Promise<StatsArticle[]> {
  if (msgDataIds.length === 0) return [];
  const result = await db.execute<Omit<StatsArticle, 'sentDay'> & { sentDay: number | null }>(sql`
    SELECT a.msg_data_id AS "msgDataId", a.idx AS "articleIndex", a.title,
           ${epochDays(sql`(coalesce(b.started_at, b.created_at) AT TIME ZONE ${timezone})::date`)} AS "sentDay", b.sent_count AS "targetUser"
    FROM broadcast_articles a JOIN broadcasts b ON b.account_id = a.account_id AND b.msg_data_id = a.msg_data_id
    WHERE a.account_id = ${accountId} AND a.msg_data_id = ANY(${sql.param(msgDataIds)}::bigint[]) AND NOT b.is_preview`);
  return result.rows.map((row) => ({ ...row, sentDay: row.sentDay === null ? null : dayOf(row.sentDay) }));
}

export type ReadChannelDay = { day: string; channel: string } & EngagementFigures;

/**
 * The account's engagement per day and channel from `from` to `to`, each action's users and events in one row,
 * ordered by day and channel (by code point, as JavaScript compares strings).
 */
export async function listReadChannelDays(db: Database, accountId: number, from: string, to: string): Promise<ReadChannelDay[]> {
  // Ordered by the table's columns, not the epoch-day output also named "day": the primary key's order, so no sort
  // (channel is COLLATE "C"). Prepared, as listArticleDayFigures.
  return withDays(await readChannelDays(db, { accountId, from, to }), 'day');
}
const readChannelDays = preparedRead<Omit<ReadChannelDay, 'day'> & { day: number }, AccountDays>('stats_read_channel_days', sql`
  SELECT ${epochDays(sql`r.day`)} AS day, r.channel, ${readDayFigures}
  FROM stats_read_days r
  WHERE ${ofAccount(sql`r.account_id`)} AND ${inRange(sql`r.day`)}
  ORDER BY r.day, r.channel`);

/** The msg_data_ids of the news broadcasts (not previews) the account started sending on `day` in `timezone`. */
export async function listNewsSentOn(db: Executor, accountId: number, day: string, timezone: string): Promise<number[]> {
  const result = await db.execute<{ msgDataId: number }>(sql`
    SELECT msg_data_id AS "msgDataId" FROM broadcasts
    WHERE account_id = ${accountId} AND msg_data_id IS NOT NULL AND NOT is_preview AND started_at IS NOT NULL
      AND started_at >= (${day}::date::timestamp AT TIME ZONE ${timezone}) AND started_at < ((${day}::date + 1)::timestamp AT TIME ZONE ${timezone})
    ORDER BY msg_data_id`);
  return result.rows.map((row) => row.msgDataId);
}

export type AttributeRow = { attribute: string; value: string; followers: number };

/**
 * Followers on `day` (at its end) by attribute and value, values with none left out: the sums of the whole months
 * before `day`'s month (stats_attribute_monthly) and of that month's days up to `day`, about 600 + 50 × the day of
 * the month rows for a year of 50 values where the days alone are 18,000.
 */
export async function listAttributesOn(db: Executor, accountId: number, day: string): Promise<AttributeRow[]> {
  const monthStart = `${day.slice(0, 7)}-01`;
  const result = await db.execute<AttributeRow>(sql`
    SELECT attribute, value, sum(delta)::int AS followers FROM (
      SELECT attribute, value, delta FROM stats_attribute_monthly WHERE account_id = ${accountId} AND month_start < ${monthStart}::date
      UNION ALL
      SELECT attribute, value, delta FROM stats_attribute_daily WHERE account_id = ${accountId} AND day BETWEEN ${monthStart}::date AND ${day}::date
    ) AS deltas
    GROUP BY 1, 2 HAVING sum(delta) > 0`);
  return result.rows;
}

export type HourlyRow = { hour: number; metric: string; key: string; users: number; count: number };

/**
 * The hourly rollups of one day for the given metrics ('msg', engagement actions, or 'article:<action>'), with keys
 * that start with `keyPrefix` if given, in no particular order.
 */
export async function listHourly(db: Executor, accountId: number, day: string, metrics: string[], keyPrefix?: string): Promise<HourlyRow[]> {
  const result = await db.execute<HourlyRow>(sql`
    SELECT hour, metric, key, users, count FROM stats_hourly
    WHERE account_id = ${accountId} AND day = ${day}::date AND metric = ANY(${sql.param(metrics)}::text[])
      ${keyPrefix === undefined ? sql`` : sql`AND starts_with(key, ${keyPrefix})`}`);
  return result.rows;
}
