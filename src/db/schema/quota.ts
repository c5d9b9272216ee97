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
    /**
     * Mass messages one follower may receive from one account of this type per calendar month (QUOTA_TIMEZONE);
     * NULL for no such limit. WeChat caps service accounts at 4 (§10.6); past it the follower is filtered out.
     */
    perFollowerMonthlyMassLimit: integer('per_follower_monthly_mass_limit'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('quota_policies_max_units_nonnegative', sql`${t.maxUnits} >= 0`),
    check('quota_policies_per_follower_limit_nonnegative', sql`${t.perFollowerMonthlyMassLimit} >= 0`),
  ],
);

/**
 * One row per (account, period kind, window): the counter that racing consumers serialise on. A unit is taken with
 * INSERT … ON CONFLICT DO UPDATE … WHERE used < limit. The ledger is the record of what was used: a window's counter
 * is seeded from it when first taken, so a window that opens mid-period (the one-time switch from a daily to a
 * monthly quota) starts with the units the account already used in it, whatever its type was then.
 */
export const quotaCounters = pgTable(
  'quota_counters',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    period: quotaPeriod('period').notNull(),
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    /** Exclusive end of the window: a refund finds every counter whose window holds the refunded unit. */
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    used: integer('used').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.period, t.periodStart] }),
    check('quota_counters_used_nonnegative', sql`${t.used} >= 0`),
  ],
);

/** The ledger of use: every unit consumed, when, what for, and whether it was returned. */
export const quotaLedger = pgTable(
  'quota_ledger',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** The start of the window the unit was charged to, as the account's policy stood then. */
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true }).notNull(),
    purpose: text('purpose').notNull(),
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
  },
  // Units used in a window, whatever window kind they were charged to, are a range of consumed_at.
  (t) => [index('quota_ledger_account_consumed_idx').on(t.accountId, t.consumedAt)],
);

/**
 * Mass messages each follower received from the account in a calendar month, for accounts whose type has a
 * per-follower monthly limit. A batch takes a unit per follower with INSERT … ON CONFLICT DO UPDATE … WHERE
 * received < limit in the statement that writes its deliveries, so racing broadcasts queue on these rows and never
 * pass the limit. Keyed by month first: the rows of a month are contiguous and an old month is dropped as a range.
 * No foreign keys, like deliveries: a million-row batch checks none.
 */
export const followerMassCounters = pgTable(
  'follower_mass_counters',
  {
    accountId: bigint('account_id', { mode: 'number' }).notNull(),
    monthStart: timestamp('month_start', { withTimezone: true }).notNull(),
    followerId: bigint('follower_id', { mode: 'number' }).notNull(),
    received: integer('received').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.monthStart, t.followerId] }), check('follower_mass_counters_received_positive', sql`${t.received} > 0`)],
);
