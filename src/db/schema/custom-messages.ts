import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { followers } from './followers.js';

/**
 * The customer-service quotas a follower's actions opened (../shared/wechat-protocol.md §10.2.1): per trigger
 * ('message', 'menu', 'scan', 'follow'), the time of the latest such action this count belongs to and how many
 * messages were charged to it. A newer action of the same kind starts the count over. The row is the lock that
 * makes two racing sends for the last unit end with one success.
 */
export const customMessageQuotas = pgTable(
  'custom_message_quotas',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    followerId: bigint('follower_id', { mode: 'number' })
      .notNull()
      .references(() => followers.id, { onDelete: 'cascade' }),
    trigger: text('trigger').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    used: integer('used').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.followerId, t.trigger] }),
    check('custom_message_quotas_trigger', sql`${t.trigger} IN ('message', 'menu', 'scan', 'follow')`),
    check('custom_message_quotas_used_positive', sql`${t.used} > 0`),
  ],
);
