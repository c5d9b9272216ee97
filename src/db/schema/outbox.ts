import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';

/**
 * Events the platform owes to the outside world (e.g. MASSSENDJOBFINISH to the developer's server), written in the
 * transaction that makes them true. The unique idempotency key ('MASSSENDJOBFINISH:<broadcastId>') is what makes
 * "announced once" a fact; a publisher claims unpublished rows in id order and sets published_at.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('outbox_events_idempotency_key').on(t.idempotencyKey),
    index('outbox_events_unpublished_idx').on(t.id).where(sql`${t.publishedAt} IS NULL`),
  ],
);
