import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { QuotaPeriod } from './quota-window.js';

export interface AccountQuotaPolicy {
  type: 'subscription' | 'service';
  period: QuotaPeriod;
  maxUnits: number;
}

/** The policy that applies to an account now, given its type. */
export async function findQuotaPolicy(db: Executor, accountId: number): Promise<AccountQuotaPolicy | undefined> {
  const result = await db.execute<{ type: AccountQuotaPolicy['type']; period: QuotaPeriod; max_units: number }>(sql`
    SELECT a.type, p.period, p.max_units
    FROM accounts a
    JOIN quota_policies p ON p.account_type = a.type
    WHERE a.id = ${accountId}`);
  const row = result.rows[0];
  return row && { type: row.type, period: row.period, maxUnits: row.max_units };
}

export async function findUnitsUsed(db: Executor, accountId: number, periodStart: Date): Promise<number> {
  const result = await db.execute<{ used: number }>(sql`
    SELECT used FROM quota_counters WHERE account_id = ${accountId} AND period_start = ${periodStart.toISOString()}`);
  return result.rows[0]?.used ?? 0;
}

/**
 * Takes one unit if fewer than maxUnits are used in the period, and returns the new count; undefined when the
 * quota is exhausted. Racing callers serialise on the counter row: INSERT … ON CONFLICT DO UPDATE locks it and
 * re-checks the WHERE against the committed count, so with one unit left exactly one caller gets it.
 */
export async function takeUnit(db: Executor, accountId: number, periodStart: Date, maxUnits: number): Promise<number | undefined> {
  const result = await db.execute<{ used: number }>(sql`
    INSERT INTO quota_counters AS c (account_id, period_start, used)
    SELECT ${accountId}, ${periodStart.toISOString()}, 1 WHERE ${maxUnits}::int >= 1
    ON CONFLICT (account_id, period_start) DO UPDATE SET used = c.used + 1
    WHERE c.used < ${maxUnits}::int
    RETURNING c.used`);
  return result.rows[0]?.used;
}

export async function insertLedgerEntry(
  db: Executor,
  entry: { accountId: number; periodStart: Date; consumedAt: Date; purpose: string },
): Promise<number> {
  const result = await db.execute<{ id: number }>(sql`
    INSERT INTO quota_ledger (account_id, period_start, consumed_at, purpose)
    VALUES (${entry.accountId}, ${entry.periodStart.toISOString()}, ${entry.consumedAt.toISOString()}, ${entry.purpose})
    RETURNING id`);
  return result.rows[0]!.id;
}

/** Returns a consumed unit to its period. Refunding twice is a no-op: only the first call finds it unrefunded. */
export async function refundLedgerEntry(db: Executor, accountId: number, ledgerId: number, refundedAt: Date): Promise<boolean> {
  const result = await db.execute(sql`
    WITH refunded AS (
      UPDATE quota_ledger SET refunded_at = ${refundedAt.toISOString()}
      WHERE id = ${ledgerId} AND account_id = ${accountId} AND refunded_at IS NULL
      RETURNING account_id, period_start
    )
    UPDATE quota_counters c SET used = c.used - 1
    FROM refunded r
    WHERE c.account_id = r.account_id AND c.period_start = r.period_start AND c.used > 0`);
  return (result.rowCount ?? 0) > 0;
}
