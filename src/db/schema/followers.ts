import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { users } from './users.js';

/** People on the WeChat app side: they follow accounts, message them, read and share articles. */
export const wechatUsers = pgTable('wechat_users', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  nickname: text('nickname').notNull(),
  /** WeChat's sex: 0 unknown, 1 male, 2 female. */
  gender: smallint('gender').notNull().default(0),
  language: text('language').notNull().default('zh_CN'),
  country: text('country').notNull().default(''),
  province: text('province').notNull().default(''),
  city: text('city').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A unionid is stable for one WeChat user across all accounts created by the same owner. */
export const unionIds = pgTable(
  'union_ids',
  {
    ownerId: bigint('owner_id', { mode: 'number' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' })
      .notNull()
      .references(() => wechatUsers.id, { onDelete: 'cascade' }),
    unionid: text('unionid').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.wechatUserId] }), uniqueIndex('union_ids_unionid_key').on(t.unionid)],
);

/**
 * Current state of a (WeChat user, account) pair. The row outlives an unfollow, which is why the openid is stable
 * across unfollow and refollow. `id` orders followers for keyset pagination and fan-out ranges.
 */
export const followers = pgTable(
  'followers',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    wechatUserId: bigint('wechat_user_id', { mode: 'number' })
      .notNull()
      .references(() => wechatUsers.id, { onDelete: 'cascade' }),
    openid: text('openid').notNull(),
    subscribed: boolean('subscribed').notNull(),
    /** The last time the user followed (WeChat's subscribe_time). */
    subscribedAt: timestamp('subscribed_at', { withTimezone: true }).notNull(),
    firstSubscribedAt: timestamp('first_subscribed_at', { withTimezone: true }).notNull(),
    unsubscribedAt: timestamp('unsubscribed_at', { withTimezone: true }),
    subscribeScene: text('subscribe_scene').notNull(),
    qrScene: integer('qr_scene'),
    qrSceneStr: text('qr_scene_str'),
    remark: text('remark').notNull().default(''),
    blacklisted: boolean('blacklisted').notNull().default(false),
    blacklistedAt: timestamp('blacklisted_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('followers_account_user_key').on(t.accountId, t.wechatUserId),
    uniqueIndex('followers_openid_key').on(t.openid),
    // Keyset pagination and fan-out ranges over an account's current followers.
    index('followers_subscribed_idx').on(t.accountId, t.id).where(sql`${t.subscribed}`),
    index('followers_blacklist_idx').on(t.accountId, t.id).where(sql`${t.blacklisted}`),
  ],
);

/** Tags of an account. Ids start at 100: WeChat reserves 0, 1 and 2. */
export const tags = pgTable(
  'tags',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity({ startWith: 100 }),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('tags_account_name_key').on(t.accountId, t.name), index('tags_account_idx').on(t.accountId, t.id)],
);

export const followerTags = pgTable(
  'follower_tags',
  {
    tagId: integer('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    followerId: bigint('follower_id', { mode: 'number' })
      .notNull()
      .references(() => followers.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.tagId, t.followerId] }), index('follower_tags_follower_idx').on(t.followerId)],
);

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
    scene: text('scene'),
    qrScene: integer('qr_scene'),
    qrSceneStr: text('qr_scene_str'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('follow_events_account_time_idx').on(t.accountId, t.occurredAt)],
);

/** WeChat MsgIds are 64-bit numbers in the 6e18 range; a sequence hands them out without collisions. */
export const messageMsgIdSeq = pgSequence('message_msg_id_seq', { startWith: '6054768590064713728' });

/** Append-only upstream messages from followers to an account. msg_id is WeChat's 64-bit MsgId. */
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
 * recorded, with the openid only when they have one for this account.
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
