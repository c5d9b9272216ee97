import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
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
    // A user's accounts, for their chat list.
    index('followers_wechat_user_idx').on(t.wechatUserId),
  ],
);

/**
 * Tags of an account, numbered per account as WeChat numbers them: 100, 101, … (WeChat reserves 0, 1 and 2).
 * An account's numbers come from its row in tag_id_counters and are never handed out twice, even after the tag is
 * deleted, so a stale id (in a client's cache, or an old broadcast's target) never silently names another tag.
 */
export const tags = pgTable(
  'tags',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: integer('id').notNull(),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), uniqueIndex('tags_account_name_key').on(t.accountId, t.name)],
);

/** The last tag id each account handed out; a new tag takes the next one, with the account's row locked. */
export const tagIdCounters = pgTable('tag_id_counters', {
  accountId: bigint('account_id', { mode: 'number' })
    .primaryKey()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  lastId: integer('last_id').notNull(),
});

/**
 * Which followers carry which tag. Keyed by (account, tag, follower), so a tag's followers are one index range in
 * follower order (tag lists and tag fan-out start here); the follower index serves a follower's own tags.
 */
export const followerTags = pgTable(
  'follower_tags',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    tagId: integer('tag_id').notNull(),
    followerId: bigint('follower_id', { mode: 'number' })
      .notNull()
      .references(() => followers.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.tagId, t.followerId] }),
    foreignKey({ name: 'follower_tags_tag_fk', columns: [t.accountId, t.tagId], foreignColumns: [tags.accountId, tags.id] }).onDelete('cascade'),
    index('follower_tags_follower_idx').on(t.followerId),
  ],
);
