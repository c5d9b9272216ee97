import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';

/**
 * Reads of the rollups: plain index range scans returning their rows as they are; the service shapes them into
 * periods (grouping a few thousand rows in JS is cheaper than doing it in SQL with JSON aggregates). The exception
 * is engagement, kept as one row per action: its rows are pivoted here (pivotedEngagement). Days are `YYYY-MM-DD`
 * strings in the rollups' time zone.
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

/**
 * How far the rollups have folded their event tables (each cursor's last id) and in which time zone: it moves with
 * every fold that adds events, for any account, and with a rebuild into another time zone. An answer read from the
 * rollups after this is read is current for as long as it stays the same. (A fold also rewrites its cursor when it
 * finds nothing new; that leaves the id, and so this, unchanged.)
 */
export async function readRollupVersion(db: Executor): Promise<string> {
  const result = await db.execute<{ version: string | null }>(sql`
    SELECT string_agg(source || ':' || last_id || ':' || timezone, ',' ORDER BY source) AS version FROM stats_cursors`);
  return result.rows[0]?.version ?? '';
}

export type FollowDayRow = {
  day: string;
  newUser: number;
  cancelUser: number;
  /** Follows and unfollows by scene. */
  byScene: Record<string, [number, number]>;
};

/** Follows and unfollows per day from `from` to `to`, both included, in no particular order. */
export async function listFollowDays(db: Executor, accountId: number, from: string, to: string): Promise<FollowDayRow[]> {
  const result = await db.execute<Omit<FollowDayRow, 'day'> & { day: number }>(sql`
    SELECT ${epochDays(sql`day`)} AS day, new_user AS "newUser", cancel_user AS "cancelUser", by_scene AS "byScene"
    FROM stats_follow_daily
    WHERE account_id = ${accountId} AND day BETWEEN ${from}::date AND ${to}::date`);
  return withDays(result.rows, 'day');
}

/** Net growth (follows less unfollows) per day from `from` to `to`, days without follows left out, in no particular order. */
export async function listFollowNetDays(db: Executor, accountId: number, from: string, to: string): Promise<Array<{ day: string; net: number }>> {
  const result = await db.execute<{ day: number; net: number }>(sql`
    SELECT ${epochDays(sql`day`)} AS day, new_user - cancel_user AS net
    FROM stats_follow_daily
    WHERE account_id = ${accountId} AND day BETWEEN ${from}::date AND ${to}::date`);
  return withDays(result.rows, 'day');
}

/** Followers gained minus lost before `day`: the count the cumulative figures start from. */
export async function followersBefore(db: Executor, accountId: number, day: string): Promise<number> {
  const result = await db.execute<{ followers: number }>(sql`
    SELECT coalesce(sum(new_user - cancel_user), 0)::int AS followers FROM stats_follow_daily WHERE account_id = ${accountId} AND day < ${day}::date`);
  return result.rows[0]?.followers ?? 0;
}

export type MessagePeriodRow = {
  periodStart: string;
  msgType: string;
  msgUser: number;
  msgCount: number;
  senders1To5: number;
  senders6To10: number;
  sendersOver10: number;
};

/** Message rollups of one period kind whose periods start from `fromStart` to `toStart`, both included, in no particular order. */
export async function listMessagePeriods(db: Executor, accountId: number, period: Period, fromStart: string, toStart: string): Promise<MessagePeriodRow[]> {
  const result = await db.execute<Omit<MessagePeriodRow, 'periodStart'> & { periodStart: number }>(sql`
    SELECT ${epochDays(sql`period_start`)} AS "periodStart", msg_type AS "msgType", msg_user AS "msgUser", msg_count AS "msgCount",
           senders_1_to_5 AS "senders1To5", senders_6_to_10 AS "senders6To10", senders_over_10 AS "sendersOver10"
    FROM stats_messages
    WHERE account_id = ${accountId} AND period = ${period} AND period_start BETWEEN ${fromStart}::date AND ${toStart}::date`);
  return withDays(result.rows, 'periodStart');
}

export type ArticleDayRow = {
  msgDataId: number;
  articleIndex: number;
  day: string;
  action: string;
  users: number;
  count: number;
  firstUsers: number;
};

const articleDayColumns = sql`
  msg_data_id AS "msgDataId", article_index AS "articleIndex", ${epochDays(sql`day`)} AS day, action, users, count, first_users AS "firstUsers"`;

/** The engagement actions of the rollups, each with WeChat's names for its users and events, in the API's order. */
export const ACTION_FIELDS = {
  read: ['intPageReadUser', 'intPageReadCount'],
  original: ['oriPageReadUser', 'oriPageReadCount'],
  share: ['shareUser', 'shareCount'],
  favorite: ['addToFavUser', 'addToFavCount'],
} as const;
export type EngagementFigures = Record<(typeof ACTION_FIELDS)[keyof typeof ACTION_FIELDS][number], number>;

/**
 * The engagement rollup rows of a group as one row: each action's users and events under WeChat's names, 0 where
 * the group has none. Pivoting in PostgreSQL returns a third of the rows or fewer, and each row parsed costs the
 * API's process more than summing it costs PostgreSQL (a year of an account's articles: ~7 ms less in the API for
 * ~4 ms more in PostgreSQL).
 */
const pivotedEngagement = sql.join(
  Object.entries(ACTION_FIELDS).flatMap(([action, [users, count]]) => [
    sql`coalesce(sum(users) FILTER (WHERE action = ${action}), 0)::int AS ${sql.identifier(users)}`,
    sql`coalesce(sum(count) FILTER (WHERE action = ${action}), 0)::int AS ${sql.identifier(count)}`,
  ]),
  sql`, `,
);

export type ArticleDayFigures = { refDate: string; msgDataId: number; articleIndex: number; title: string } & EngagementFigures;

/**
 * Engagement per day and article from `from` to `to`, for every article of the account with any: one row each with
 * the article's title ('' for an article of no sent news broadcast), fields in the API's order, ordered by day,
 * msg_data_id and index.
 */
export async function listArticleDayFigures(db: Executor, accountId: number, from: string, to: string): Promise<ArticleDayFigures[]> {
  const result = await db.execute<Omit<ArticleDayFigures, 'refDate'> & { refDate: number }>(sql`
    WITH per_article AS (
      SELECT day, msg_data_id, article_index, ${pivotedEngagement}
      FROM stats_article_daily
      WHERE account_id = ${accountId} AND day BETWEEN ${from}::date AND ${to}::date
      GROUP BY day, msg_data_id, article_index
    ), titles AS (
      SELECT a.msg_data_id, a.idx, a.title
      FROM broadcast_articles a JOIN broadcasts b ON b.account_id = a.account_id AND b.msg_data_id = a.msg_data_id
      WHERE a.account_id = ${accountId} AND NOT b.is_preview AND a.msg_data_id IN (SELECT msg_data_id FROM per_article)
    )
    SELECT ${epochDays(sql`p.day`)} AS "refDate", p.msg_data_id AS "msgDataId", p.article_index AS "articleIndex", coalesce(t.title, '') AS title,
           ${sql.join(
             Object.values(ACTION_FIELDS).flatMap((names) => names.map((name) => sql`p.${sql.identifier(name)}`)),
             sql`, `,
           )}
    FROM per_article p LEFT JOIN titles t ON t.msg_data_id = p.msg_data_id AND t.idx = p.article_index
    ORDER BY p.day, p.msg_data_id, p.article_index`);
  return withDays(result.rows, 'refDate');
}

/** Every day of engagement with the articles of one broadcast (msg_data_id), in no particular order. */
export async function listBroadcastArticleDays(db: Executor, accountId: number, msgDataId: number): Promise<ArticleDayRow[]> {
  const result = await db.execute<Omit<ArticleDayRow, 'day'> & { day: number }>(sql`
    SELECT ${articleDayColumns} FROM stats_article_daily WHERE account_id = ${accountId} AND msg_data_id = ${msgDataId}`);
  return withDays(result.rows, 'day');
}

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
export async function listReadChannelDays(db: Executor, accountId: number, from: string, to: string): Promise<ReadChannelDay[]> {
  const result = await db.execute<Omit<ReadChannelDay, 'day'> & { day: number }>(sql`
    SELECT ${epochDays(sql`day`)} AS day, channel, ${pivotedEngagement}
    FROM stats_reads_daily
    WHERE account_id = ${accountId} AND day BETWEEN ${from}::date AND ${to}::date
    GROUP BY day, channel
    ORDER BY day, channel COLLATE "C"`);
  return withDays(result.rows, 'day');
}

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

/** Followers on `day` (at its end) by attribute and value, values with none left out. */
export async function listAttributesOn(db: Executor, accountId: number, day: string): Promise<AttributeRow[]> {
  const result = await db.execute<AttributeRow>(sql`
    SELECT attribute, value, sum(delta)::int AS followers FROM stats_attribute_daily
    WHERE account_id = ${accountId} AND day <= ${day}::date
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
