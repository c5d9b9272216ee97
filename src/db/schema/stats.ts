import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, primaryKey, smallint, text } from 'drizzle-orm/pg-core';
import { MESSAGE_TYPES, type MessageType } from '../../modules/followers/wechat-constants.js';

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

/**
 * Upstream messages per period (a day, an ISO week from Monday, a month; `period_start` is its first day) and type
 * ('all' for every type): messages, and followers who sent at least one (exact, from stats_period_senders), and
 * for each type how many senders sent 1–5, 6–10 and more than 10 in the period.
 */
export const statsMessages = pgTable(
  'stats_messages',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    period: text('period', { enum: STATS_PERIODS }).notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    msgType: text('msg_type').notNull(),
    msgUser: integer('msg_user').notNull().default(0),
    msgCount: integer('msg_count').notNull().default(0),
    senders1To5: integer('senders_1_to_5').notNull().default(0),
    senders6To10: integer('senders_6_to_10').notNull().default(0),
    sendersOver10: integer('senders_over_10').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.period, t.periodStart, t.msgType] }), check('stats_messages_period', sql`${t.period} IN ('day', 'week', 'month')`)],
);

/** A sender's count of one message type in a period (stats_period_senders). */
const typeCount = (type: MessageType) => smallint(`${type}_count`).notNull().default(0);

/** The column of each message type's count in stats_period_senders. */
export const SENDER_TYPE_COLUMNS = Object.fromEntries(MESSAGE_TYPES.map((type) => [type, `${type}_count`])) as Record<MessageType, string>;

/**
 * Who sent messages in a period, and how many: what makes distinct senders and the per-sender buckets exact. One row
 * per sender and period, with a column per message type and the total in `msg_count`, so a message moves three rows
 * (its day, week and month), not one per type and period: these rows are updated by the folds that see their sender,
 * and the updates were most of the fold's cost. Counts stop at 11 (the last bucket is "more than 10"), after which a
 * sender's row no longer changes. The table keeps free space in each page (fillfactor, set in its migration) so that
 * updates stay on their page (HOT) and old versions are pruned there.
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
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.period, t.periodStart, t.wechatUserId] }),
    check('stats_period_senders_count', sql`${t.msgCount} > 0`),
    check('stats_period_senders_period', sql`${t.period} IN ('day', 'week', 'month')`),
  ],
);

/**
 * Engagement with one article (msg_data_id + index) per day and action (read: the article page, original: its
 * original link, share, favorite): distinct users that day, events, and users engaging that way with the article for
 * the first time (their running sum is the article's distinct users to date).
 */
export const statsArticleDaily = pgTable(
  'stats_article_daily',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    articleIndex: smallint('article_index').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    action: text('action').notNull(),
    users: integer('users').notNull().default(0),
    count: integer('count').notNull().default(0),
    firstUsers: integer('first_users').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.msgDataId, t.articleIndex, t.day, t.action] }), index('stats_article_daily_day_idx').on(t.accountId, t.day)],
);

/** Who engaged with an article on a day, per action: what makes the article's daily users exact. */
export const statsArticleDayUsers = pgTable(
  'stats_article_day_users',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    articleIndex: smallint('article_index').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    action: text('action').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
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
 * The account's article engagement per day, action and channel: where the article was opened (WeChat's
 * user_source: session, moments, history, …), 'scene:<friend|moments|other>' for where a share went, and 'all'.
 * Distinct users and events.
 */
export const statsReadsDaily = pgTable(
  'stats_reads_daily',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    action: text('action').notNull(),
    channel: text('channel').notNull(),
    users: integer('users').notNull().default(0),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.action, t.channel] })],
);

/** Who engaged on a day per action and channel: what makes the account's daily users exact. */
export const statsReadsDayUsers = pgTable(
  'stats_reads_day_users',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    action: text('action').notNull(),
    channel: text('channel').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.action, t.channel, t.wechatUserId] })],
);

/**
 * Followers gained minus lost per day by profile attribute (gender, language, country, province, city) and value:
 * the followers with a value on a date are the sum up to that date. A WeChat user's profile does not change here, so
 * the attributes at follow time are the attributes.
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
 * Messages and article engagement per hour of a day: `metric` is 'msg' (key: the message type, 'all', or WeChat's
 * grouped 'wechat:4' / 'wechat:6'), an engagement action (key: the channel, as in stats_reads_daily), or
 * 'article:<action>' (key: '<msg_data_id>/<index>', one article). Distinct users within the hour and events.
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

/** Who was counted in an hour, per metric and key: what makes hourly users exact. */
export const statsHourlyUsers = pgTable(
  'stats_hourly_users',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    hour: smallint('hour').notNull(),
    metric: text('metric').notNull(),
    key: text('key').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.hour, t.metric, t.key, t.wechatUserId] })],
);
