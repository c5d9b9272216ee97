import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { accounts, accountType } from './accounts.js';

export const quotaPeriod = pgEnum('quota_period', ['day', 'month']);

/**
 * How many broadcasts each account type may send per calendar period. Data, not code: a deployment changes a
 * row (for example service accounts to 4 a month, as WeChat allows today) without a release.
 */
export const quotaPolicies = pgTable(
  'quota_policies',
  {
    accountType: accountType('account_type').primaryKey(),
    period: quotaPeriod('period').notNull(),
    maxUnits: integer('max_units').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('quota_policies_max_units_nonnegative', sql`${t.maxUnits} >= 0`)],
);

/**
 * One row per (account, period): the counter that makes consumption atomic. A unit is taken with
 * INSERT … ON CONFLICT DO UPDATE … WHERE used < limit, which serialises racing consumers on this row.
 */
export const quotaCounters = pgTable(
  'quota_counters',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    used: integer('used').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.periodStart] }), check('quota_counters_used_nonnegative', sql`${t.used} >= 0`)],
);

/** The ledger of use: every unit consumed, what for, and whether it was returned. */
export const quotaLedger = pgTable(
  'quota_ledger',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }).notNull(),
    purpose: text('purpose').notNull(),
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
  },
  (t) => [index('quota_ledger_account_period_idx').on(t.accountId, t.periodStart)],
);
