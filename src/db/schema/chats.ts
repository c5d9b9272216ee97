import { bigint, primaryKey, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { wechatUsers } from './followers.js';

/**
 * How far a WeChat user has read their conversation with an account (the follower side's chat list): what arrived
 * after read_at is unread. One row per (user, account), written when the user marks the chat read; nothing is
 * written when a message arrives, so a broadcast's fan-out to a million followers costs no extra write. No row:
 * nothing read yet.
 */
export const chatReads = pgTable(
  'chat_reads',
  {
    wechatUserId: bigint('wechat_user_id', { mode: 'number' })
      .notNull()
      .references(() => wechatUsers.id, { onDelete: 'cascade' }),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    readAt: timestamp('read_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.wechatUserId, t.accountId] })],
);
