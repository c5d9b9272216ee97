import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { QuotaPeriod, QuotaWindow } from './quota-window.js';

export interface AccountQuotaPolicy {
  type: 'subscription' | 'service';
  period: QuotaPeriod;
  maxUnits: number;
}

function selectPolicy(accountType: SQL) {
  return sql`SELECT account_type AS type, period, max_units FROM quota_policies WHERE account_type = (${accountType})`;
}

async function policyOf(db: Executor, query: SQL): Promise<AccountQuotaPolicy | undefined> {
  const result = await db.execute<{ type: AccountQuotaPolicy['type']; period: QuotaPeriod; max_units: number }>(query);
  const row = result.rows[0];
  return row && { type: row.type, period: row.period, maxUnits: row.max_units };
}

/** The policy that applies to an account now, given its type. */
export async function findQuotaPolicy(db: Executor, accountId: number): Promise<AccountQuotaPolicy | undefined> {
  return policyOf(db, selectPolicy(sql`SELECT type FROM accounts WHERE id = ${accountId}`));
}

/**
 * The policy of the account's type, with the account row share-locked for the rest of the transaction. The one-time
 * type switch updates that row, so it waits for consumers still charging the old window, and every consumer after
 * it reads the new type: a unit is never taken from the old window once the new window counts from the ledger.
 * Share locks do not block one another; racing consumers queue on the counter row instead.
 */
export async function lockQuotaPolicy(db: Executor, accountId: number): Promise<AccountQuotaPolicy | undefined> {
  // The lock is taken in the subquery alone: a locking join would re-check the new type against the old policy row.
  return policyOf(db, selectPolicy(sql`SELECT type FROM accounts WHERE id = ${accountId} FOR SHARE`));
}

/** Unrefunded units the account consumed within the window, whatever window they were charged to then. */
function ledgerUnits(accountId: number, window: QuotaWindow): SQL {
  return sql`
    SELECT count(*)::int AS used FROM quota_ledger
    WHERE account_id = ${accountId} AND consumed_at >= ${window.start.toISOString()} AND consumed_at < ${window.end.toISOString()}
      AND refunded_at IS NULL`;
}

export async function findUnitsUsed(db: Executor, accountId: number, period: QuotaPeriod, window: QuotaWindow): Promise<number> {
  const result = await db.execute<{ used: number }>(sql`
    SELECT greatest(
      (SELECT used FROM quota_counters WHERE account_id = ${accountId} AND period = ${period} AND period_start = ${window.start.toISOString()}),
      (${ledgerUnits(accountId, window)})
    ) AS used`);
  return result.rows[0]!.used;
}

/**
 * Takes one unit if fewer than maxUnits are used in the window, and returns the new count; undefined when the quota
 * is exhausted. Racing callers serialise on the counter row: INSERT … ON CONFLICT DO UPDATE locks it and re-checks
 * the WHERE against the committed count, so with one unit left exactly one caller gets it.
 *
 * The proposed row carries the ledger's count + 1, so the window's first unit starts from what the account already
 * used in it (sends made under its previous type included), and a counter that fell behind the ledger is caught up.
 * The ledger count comes from the statement's snapshot and can miss a racing consumer; the counter row cannot, which
 * is why the larger of the two decides.
 */
export async function takeUnit(
  db: Executor,
  accountId: number,
  period: QuotaPeriod,
  window: QuotaWindow,
  maxUnits: number,
): Promise<number | undefined> {
  const result = await db.execute<{ used: number }>(sql`
    INSERT INTO quota_counters AS c (account_id, period, period_start, period_end, used)
    SELECT ${accountId}, ${period}::quota_period, ${window.start.toISOString()}, ${window.end.toISOString()}, ledger.used + 1
    FROM (${ledgerUnits(accountId, window)}) ledger
    WHERE ledger.used < ${maxUnits}::int
    ON CONFLICT (account_id, period, period_start) DO UPDATE SET used = greatest(c.used, EXCLUDED.used - 1) + 1
    WHERE greatest(c.used, EXCLUDED.used - 1) < ${maxUnits}::int
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

/**
 * Returns a consumed unit to every window that counts it: the one it was charged to and, after a type switch, the
 * new window that was seeded with it. Refunding twice is a no-op: only the first call finds the entry unrefunded.
 * The counters are locked in key order so that two refunds never wait on each other in a cycle.
 */
export async function refundLedgerEntry(db: Executor, accountId: number, ledgerId: number, refundedAt: Date): Promise<boolean> {
  const result = await db.execute<{ refunded: number }>(sql`
    WITH refunded AS (
      UPDATE quota_ledger SET refunded_at = ${refundedAt.toISOString()}
      WHERE id = ${ledgerId} AND account_id = ${accountId} AND refunded_at IS NULL
      RETURNING account_id, consumed_at
    ), windows AS (
      SELECT c.account_id, c.period, c.period_start
      FROM quota_counters c JOIN refunded r ON c.account_id = r.account_id AND c.period_start <= r.consumed_at AND r.consumed_at < c.period_end
      ORDER BY c.period, c.period_start
      FOR UPDATE OF c
    ), returned AS (
      UPDATE quota_counters c SET used = c.used - 1
      FROM windows w
      WHERE c.account_id = w.account_id AND c.period = w.period AND c.period_start = w.period_start AND c.used > 0
    )
    SELECT count(*)::int AS refunded FROM refunded`);
  return result.rows[0]!.refunded > 0;
}
