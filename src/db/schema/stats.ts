import { sql } from 'drizzle-orm';
import { bigint, check, customType, date, index, integer, jsonb, pgSequence, pgTable, primaryKey, smallint, text } from 'drizzle-orm/pg-core';
import {
  ENGAGEMENT_ACTIONS,
  MESSAGE_TYPES,
  WECHAT_COMBINED_TYPES,
  type EngagementAction,
  type MessageType,
  type WechatCombinedType,
} from '../../modules/followers/wechat-constants.js';

/**
 * Statistics rollups: per account and calendar day (in the time zone recorded on the fold cursor, QUOTA_TIMEZONE),
 * folded from the append-only event tables by the worker (src/modules/stats/stats.folder.ts), never written by the
 * API: event writers pay nothing for statistics and never wait on a counter row. Every figure here can be recomputed
 * from the events (`npm run stats:rebuild`).
 */

/**
 * How far each event table has been folded: every id up to `last_id` is folded or proven never to commit. Identity
 * ids are taken before commit, so an id above `last_id` may be missing while a later one is visible: the fold stops
 * there (`blocked_below`: the visible id above the hole) until the hole fills or is proven dead. `blocked_by` holds
 * the transactions (virtual ids) that held a write lock on the table just before the hole was first seen: a
 * transaction takes that lock before it draws an id, so once all of them have ended, an id still missing belonged
 * to one that rolled back.
 */
export const statsCursors = pgTable('stats_cursors', {
  source: text('source').primaryKey(),
  lastId: bigint('last_id', { mode: 'number' }).notNull().default(0),
  blockedBelow: bigint('blocked_below', { mode: 'number' }),
  blockedBy: text('blocked_by').array(),
  /** The IANA time zone of the rollups' days; a different QUOTA_TIMEZONE takes a rebuild to apply. */
  timezone: text('timezone').notNull(),
});

/**
 * Follows and unfollows per day, in total and by scene (an unfollow counts under the scene of the follow it ended):
 * `by_scene` is {"<scene>": [follows, unfollows]}. One row a day keeps a year's read to 365 rows.
 */
export const statsFollowDaily = pgTable(
  'stats_follow_daily',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    newUser: integer('new_user').notNull().default(0),
    cancelUser: integer('cancel_user').notNull().default(0),
    byScene: jsonb('by_scene').$type<Record<string, [number, number]>>().notNull().default({}),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day] })],
);

/** The periods message statistics are kept for: distinct senders of a week or month do not add up from days. */
export const STATS_PERIODS = ['day', 'week', 'month'] as const;

/** The columns of each message type's senders and messages in stats_message_periods. */
export const MESSAGE_TYPE_COLUMNS = Object.fromEntries(MESSAGE_TYPES.map((type) => [type, { users: `${type}_user`, count: `${type}_count` }])) as Record<
  MessageType,
  { users: string; count: string }
>;

/** The column of each of WeChat's combined types' senders in stats_message_periods ('wechat:4' → wechat_4_user). */
export const COMBINED_TYPE_USER_COLUMNS = Object.fromEntries(
  Object.keys(WECHAT_COMBINED_TYPES).map((key) => [key, `${key.replace(':', '_')}_user`]),
) as Record<WechatCombinedType, string>;

const periodFigure = (column: string) => integer(column).notNull().default(0);
/** The drizzle key of a combined type's senders ('wechat:4' → wechat4User). */
type CombinedUserKey<Key> = Key extends `${infer Name}:${infer Code}` ? `${Name}${Code}User` : never;

/**
 * Upstream messages per period (a day, an ISO week from Monday, a month; `period_start` is its first day), one row
 * each: messages, and followers who sent at least one (exact, from stats_period_senders); how many of them sent 1–5,
 * 6–10 and more than 10 in the period; per message type its senders and messages (MESSAGE_TYPE_COLUMNS); and per
 * WeChat combined type (WECHAT_COMBINED_TYPES) its senders, distinct across its types (its messages are the sum of
 * theirs). A year by day is 365 rows of a few integers. Every fold updates its periods' rows in place: the table
 * keeps free space in each page (fillfactor, set in its migration) so that those updates stay on their page (HOT),
 * as in stats_period_senders.
 */
export const statsMessagePeriods = pgTable(
  'stats_message_periods',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    period: text('period', { enum: STATS_PERIODS }).notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    msgUser: periodFigure('msg_user'),
    msgCount: periodFigure('msg_count'),
    senders1To5: periodFigure('senders_1_to_5'),
    senders6To10: periodFigure('senders_6_to_10'),
    sendersOver10: periodFigure('senders_over_10'),
    ...(Object.fromEntries(
      MESSAGE_TYPES.flatMap((type) => [
        [`${type}User`, periodFigure(MESSAGE_TYPE_COLUMNS[type].users)],
        [`${type}Count`, periodFigure(MESSAGE_TYPE_COLUMNS[type].count)],
      ]),
    ) as Record<`${MessageType}${'User' | 'Count'}`, ReturnType<typeof periodFigure>>),
    ...(Object.fromEntries(
      Object.entries(COMBINED_TYPE_USER_COLUMNS).map(([key, column]) => [`${key.replace(':', '')}User`, periodFigure(column)]),
    ) as Record<CombinedUserKey<WechatCombinedType>, ReturnType<typeof periodFigure>>),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.period, t.periodStart] }), check('stats_message_periods_period', sql`${t.period} IN ('day', 'week', 'month')`)],
);

/** A sender's count of one message type in a period (stats_period_senders). */
const typeCount = (type: MessageType) => smallint(`${type}_count`).notNull().default(0);

/** The column of each message type's count in stats_period_senders. */
export const SENDER_TYPE_COLUMNS = Object.fromEntries(MESSAGE_TYPES.map((type) => [type, `${type}_count`])) as Record<MessageType, string>;

/** A sender's hours of a day with messages of one type, bit h for hour h (stats_period_senders, day rows only). */
const typeHours = (type: MessageType) => integer(`${type}_hours`);

/** The column of each message type's hours in stats_period_senders. */
export const SENDER_HOURS_COLUMNS = Object.fromEntries(MESSAGE_TYPES.map((type) => [type, `${type}_hours`])) as Record<MessageType, string>;

/**
 * Who sent messages in a period, and how many: what makes distinct senders and the per-sender buckets exact. One row
 * per sender and period, with a column per message type and the total in `msg_count`, so a message moves three rows
 * (its day, week and month), not one per type and period: these rows are updated by the folds that see their sender,
 * and the updates were most of the fold's cost. Counts stop at 11 (the last bucket is "more than 10"), after which a
 * sender's row no longer changes. A day's row also holds the hours of that day its sender sent each type in
 * (`<type>_hours`, bit h for hour h; null on week and month rows): what makes senders per hour exact, read by the
 * lookup the fold makes anyway, where a row per sender, hour and key cost an index probe each. The table keeps free
 * space in each page (fillfactor, set in its migration) so that updates stay on their page (HOT) and old versions
 * are pruned there.
 */
export const statsPeriodSenders = pgTable(
  'stats_period_senders',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    period: text('period', { enum: STATS_PERIODS }).notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    msgCount: smallint('msg_count').notNull(),
    ...(Object.fromEntries(MESSAGE_TYPES.map((type) => [`${type}Count`, typeCount(type)])) as Record<`${MessageType}Count`, ReturnType<typeof typeCount>>),
    ...(Object.fromEntries(MESSAGE_TYPES.map((type) => [`${type}Hours`, typeHours(type)])) as Record<`${MessageType}Hours`, ReturnType<typeof typeHours>>),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.period, t.periodStart, t.wechatUserId] }),
    check('stats_period_senders_count', sql`${t.msgCount} > 0`),
    check('stats_period_senders_period', sql`${t.period} IN ('day', 'week', 'month')`),
  ],
);

/** A user's hours of a day with an engagement (bit h for hour h): what makes users per hour exact. */
const engagedHours = () => integer('hours').notNull().default(0);

/**
 * Who engaged with an article on a day, per action, and in which hours: what makes the article's daily and hourly
 * users exact.
 */
export const statsArticleDayUsers = pgTable(
  'stats_article_day_users',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    articleIndex: smallint('article_index').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    action: text('action').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    hours: engagedHours(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.msgDataId, t.articleIndex, t.day, t.action, t.wechatUserId] })],
);

/** Who ever engaged with an article, per action, and the day they first did: the article's users to date. */
export const statsArticleUsers = pgTable(
  'stats_article_users',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    articleIndex: smallint('article_index').notNull(),
    action: text('action').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    firstDay: date('first_day', { mode: 'string' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.msgDataId, t.articleIndex, t.action, t.wechatUserId] })],
);

/**
 * The columns each engagement action (read: the article page, original: its original link, share, favorite) has in
 * stats_article_days and stats_read_days: distinct users that day, events, and (articles only) users engaging that
 * way with the article for the first time.
 */
export const ENGAGEMENT_COLUMNS = Object.fromEntries(
  ENGAGEMENT_ACTIONS.map((action) => [action, { users: `${action}_users`, count: `${action}_count`, firstUsers: `${action}_first_users` }]),
) as Record<EngagementAction, { users: string; count: string; firstUsers: string }>;

type EngagementFigure = keyof (typeof ENGAGEMENT_COLUMNS)[EngagementAction];
const engagementFigure = (column: string) => integer(column).notNull().default(0);

/** A column per action for each of `figures`, action by action (drizzle keys readUsers, readCount, …). */
function engagementFigures<Figure extends EngagementFigure>(figures: readonly Figure[]) {
  return Object.fromEntries(
    ENGAGEMENT_ACTIONS.flatMap((action) =>
      figures.map((figure) => [`${action}${figure.charAt(0).toUpperCase()}${figure.slice(1)}`, engagementFigure(ENGAGEMENT_COLUMNS[action][figure])]),
    ),
  ) as Record<`${EngagementAction}${Capitalize<Figure>}`, ReturnType<typeof engagementFigure>>;
}

/**
 * Engagement with one article (msg_data_id + index) per day, every action in one row (ENGAGEMENT_COLUMNS): a year of
 * an account's articles is read as its rows are kept, in the order of stats_article_days_day_idx, which is the API's.
 * The first users' running sum is the article's distinct users to date. The fold updates the day's rows in place:
 * the table keeps free space in each page (fillfactor, set in its migration) so that those updates stay on their
 * page (HOT), as in stats_period_senders.
 */
export const statsArticleDays = pgTable(
  'stats_article_days',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    articleIndex: smallint('article_index').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    ...engagementFigures(['users', 'count', 'firstUsers']),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.msgDataId, t.articleIndex, t.day] }), index('stats_article_days_day_idx').on(t.accountId, t.day, t.msgDataId, t.articleIndex)],
);

/** Text ordered by code point (COLLATE "C"), as JavaScript compares strings, whatever the database's collation. */
const codePointText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

/**
 * The account's article engagement per day and channel, every action in one row (ENGAGEMENT_COLUMNS): the channel is
 * where the article was opened (WeChat's user_source: session, moments, history, …), 'scene:<friend|moments|other>'
 * for where a share went, or 'all'. The primary key's order is the API's (day, then channel by code point), so a
 * year's read is a plain range scan. Free space in each page for the fold's updates, as stats_article_days.
 */
export const statsReadDays = pgTable(
  'stats_read_days',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    channel: codePointText('channel').notNull(),
    ...engagementFigures(['users', 'count']),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.channel] })],
);

/** Who engaged on a day per action and channel, and in which hours: what makes the account's daily and hourly users exact. */
export const statsReadsDayUsers = pgTable(
  'stats_reads_day_users',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    action: text('action').notNull(),
    channel: text('channel').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    hours: engagedHours(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.action, t.channel, t.wechatUserId] })],
);

/**
 * Followers gained minus lost per day by profile attribute (gender, language, country, province, city) and value:
 * the followers with a value on a date are the sum up to that date (read as whole months from stats_attribute_monthly
 * and the days of the date's month from here). A WeChat user's profile does not change here, so the attributes at
 * follow time are the attributes.
 */
export const statsAttributeDaily = pgTable(
  'stats_attribute_daily',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    attribute: text('attribute').notNull(),
    value: text('value').notNull(),
    delta: integer('delta').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.attribute, t.value] })],
);

/**
 * stats_attribute_daily summed per calendar month (`month_start`, its first day), written by the same fold statement
 * as the days: the followers with a value at the end of a day are its whole months before that day's month plus that
 * month's days up to it, a dozen months and at most 31 days per value for a year instead of 365 days.
 */
export const statsAttributeMonthly = pgTable(
  'stats_attribute_monthly',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    monthStart: date('month_start', { mode: 'string' }).notNull(),
    attribute: text('attribute').notNull(),
    value: text('value').notNull(),
    delta: integer('delta').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.monthStart, t.attribute, t.value] }),
    check('stats_attribute_monthly_month_start', sql`extract(day FROM ${t.monthStart}) = 1`),
  ],
);

/**
 * Messages and article engagement per hour of a day: `metric` is 'msg' (key: the message type, 'all', or WeChat's
 * grouped 'wechat:4' / 'wechat:6'), an engagement action (key: the channel, as in stats_read_days), or
 * 'article:<action>' (key: '<msg_data_id>/<index>', one article). Distinct users within the hour and events. Who
 * was counted in an hour is kept as hours on the day's row of each user (stats_period_senders,
 * stats_reads_day_users, stats_article_day_users), which the fold looks up anyway.
 */
export const statsHourly = pgTable(
  'stats_hourly',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    hour: smallint('hour').notNull(),
    metric: text('metric').notNull(),
    key: text('key').notNull(),
    users: integer('users').notNull().default(0),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.hour, t.metric, t.key] }), check('stats_hourly_hour', sql`${t.hour} BETWEEN 0 AND 23`)],
);

/**
 * Where the versions of the rollups come from. A version never repeats, and the versions of one event table are
 * drawn in the order their changes commit: every writer of an event table's rollups (a fold, a recount, a reset)
 * holds that table's cursor row (stats_cursors) while it draws, so "changed after version v" is a question with an
 * answer (stats_day_changes).
 */
export const statsVersionSeq = pgSequence('stats_version_seq');

/**
 * Which fold last changed an account's rollups from each event table (`version`, from stats_version_seq). The stats
 * routes keep an account's answers while its versions stay the same, so one account's events do not recompute every
 * other account's answers. Written in the transaction that changes the rollups (a fold, a recount), and emptied with
 * them (a reset): an account with no row has no rollups. `epoch` is the version the row was created at: a recount or
 * a reset deletes the row, so a new epoch says that any day may have changed, whatever stats_day_changes holds.
 */
export const statsAccountVersions = pgTable(
  'stats_account_versions',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    source: text('source').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    epoch: bigint('epoch', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.source] })],
);

/**
 * The days of an account whose rollups from an event table a fold changed, each with the version of the last fold
 * that did (the version written to stats_account_versions in the same transaction). An answer made of days kept at
 * version v need only recompute the days changed after v: a fold nearly always changes today alone, so a year by
 * day costs a day's read. Emptied with the rollups.
 */
export const statsDayChanges = pgTable(
  'stats_day_changes',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    source: text('source').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.source, t.day] }), index('stats_day_changes_version_idx').on(t.accountId, t.source, t.version)],
);
