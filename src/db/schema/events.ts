import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgEnum, pgSequence, pgTable, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The append-only facts of the follower side: follows and unfollows, upstream messages, article engagements.
 * Written by src/modules/events (the only writer), read by webhooks and statistics. Rows are never updated.
 */

export const followEventKind = pgEnum('follow_event_kind', ['subscribe', 'unsubscribe']);

/** Append-only history of follows and unfollows: the source of follower-growth statistics and push events. */
export const followEvents = pgTable(
  'follow_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }).notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    kind: followEventKind('kind').notNull(),
    /**
     * Where the follower came from: on a subscribe, the scene of that follow; on an unsubscribe, the scene of the
     * follow it ends, so statistics can split cancellations by source. The same holds for the QR scene.
     */
    scene: text('scene').notNull(),
    qrScene: integer('qr_scene'),
    qrSceneStr: text('qr_scene_str'),
    /** The ticket of the QR code scanned to follow (its push carries it as Ticket); null otherwise. */
    qrTicket: text('qr_ticket'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('follow_events_account_time_idx').on(t.accountId, t.occurredAt)],
);

/**
 * Scans of a parametric QR code by a user who already follows the account (WeChat's SCAN event; a scan by someone
 * who does not follow yet is a subscribe with a qrscene_ EventKey instead). Not a follow: growth statistics ignore it.
 */
export const scanEvents = pgTable(
  'scan_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }).notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    qrScene: integer('qr_scene'),
    qrSceneStr: text('qr_scene_str'),
    /** The ticket of the QR code scanned (the push's Ticket); null for a scan recorded without one. */
    qrTicket: text('qr_ticket'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('scan_events_account_time_idx').on(t.accountId, t.occurredAt),
    check('scan_events_has_scene', sql`${t.qrScene} IS NOT NULL OR ${t.qrSceneStr} IS NOT NULL`),
  ],
);

/** WeChat MsgIds are 64-bit numbers in the 6e18 range; a sequence hands them out without collisions. */
export const messageMsgIdSeq = pgSequence('message_msg_id_seq', { startWith: '6054768590064713728' });

/**
 * Append-only upstream messages from followers to an account. msg_id is WeChat's 64-bit MsgId, beyond 2^53:
 * read it as text (`msg_id::text`), never through a query that lets pg parse it as a number.
 */
export const messages = pgTable(
  'messages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    msgId: bigint('msg_id', { mode: 'bigint' }).notNull(),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }).notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    msgType: text('msg_type').notNull(),
    /** The type's own fields, in WeChat's push names (Content, PicUrl, MediaId, Location_X, …). */
    body: jsonb('body').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('messages_msg_id_key').on(t.msgId), index('messages_account_time_idx').on(t.accountId, t.occurredAt)],
);

export const engagementAction = pgEnum('engagement_action', ['read', 'original', 'share', 'favorite']);

/**
 * Append-only engagement with broadcast articles: reading the article page, opening its original link, sharing,
 * adding to favourites. Readers need not follow the account (shared articles reach anyone), so the WeChat user is
 * recorded, with the follower only when they have one for this account.
 */
export const articleEngagements = pgTable(
  'article_engagements',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    msgDataId: bigint('msg_data_id', { mode: 'number' }).notNull(),
    articleIndex: smallint('article_index').notNull(),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }),
    wasFollower: boolean('was_follower').notNull(),
    action: engagementAction('action').notNull(),
    /** Where the article was opened from (WeChat's user_source: session, history, moments, …). */
    source: text('source').notNull(),
    shareScene: text('share_scene'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('article_engagements_account_time_idx').on(t.accountId, t.occurredAt),
    index('article_engagements_article_idx').on(t.accountId, t.msgDataId, t.articleIndex),
    check('article_engagements_share_scene', sql`(${t.action} = 'share') = (${t.shareScene} IS NOT NULL)`),
  ],
);
