import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, pgEnum, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const accountType = pgEnum('account_type', ['subscription', 'service']);
export const memberRole = pgEnum('member_role', ['owner', 'admin', 'analyst']);

/**
 * Official accounts. `type_locked` records that the one-time type choice was made; a trigger (migration
 * 0001) refuses any later change of `type`, or unlocking, whoever issues the UPDATE.
 */
export const accounts = pgTable(
  'accounts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    appid: text('appid').notNull(),
    /** WeChat's 原始ID (gh_…), the ToUserName of every push. */
    originalId: text('original_id').notNull(),
    /** SHA-256 of the AppSecret; the secret itself is shown once and never stored. */
    appsecretHash: text('appsecret_hash').notNull(),
    type: accountType('type').notNull().default('subscription'),
    typeLocked: boolean('type_locked').notNull().default(false),
    /** WeChat's mass-send speed level 0..4; null means "as fast as the platform can go". */
    broadcastSpeed: smallint('broadcast_speed'),
    /**
     * When WeChat verification (微信认证) was granted; null while unverified. Set and revoked by a platform operator
     * (`npm run account:verify`), never by the account's members. The capability policy reads it.
     */
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    createdBy: bigint('created_by', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    secretRotatedAt: timestamp('secret_rotated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('accounts_appid_key').on(t.appid),
    uniqueIndex('accounts_original_id_key').on(t.originalId),
    check('accounts_broadcast_speed_range', sql`${t.broadcastSpeed} between 0 and 4`),
  ],
);

export const accountMembers = pgTable(
  'account_members',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: memberRole('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.userId] }), index('account_members_user_idx').on(t.userId)],
);
