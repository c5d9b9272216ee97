import { sql } from 'drizzle-orm';
import type { Executor } from './client.js';

/**
 * Deletes up to `limit` rows of `table` whose `timeColumn` is before `before`, and returns how many it deleted. The
 * table must have a NOT NULL account_id and an index that leads with (account_id, timeColumn): the accounts holding
 * rows are found by a loose index scan (one descent of that index per account), and each account's old rows are a
 * range of it, so a sweep reads the rows it removes and never the rows it keeps. Picked by a plain
 * `WHERE timeColumn < before`, with no index leading on the time, the same rows took a scan of the whole table, every
 * batch.
 */
export async function deleteOldRowsByAccount(db: Executor, table: string, timeColumn: string, before: Date, limit: number): Promise<number> {
  const rows = sql.identifier(table);
  const time = sql.identifier(timeColumn);
  const result = await db.execute(sql`
    WITH RECURSIVE holders(account_id) AS (
      (SELECT account_id FROM ${rows} ORDER BY account_id LIMIT 1)
      UNION ALL
      SELECT (SELECT r.account_id FROM ${rows} r WHERE r.account_id > h.account_id ORDER BY r.account_id LIMIT 1)
      FROM holders h WHERE h.account_id IS NOT NULL
    ), doomed AS (
      SELECT old.ctid FROM holders h
      CROSS JOIN LATERAL (SELECT ctid FROM ${rows} WHERE account_id = h.account_id AND ${time} < ${before.toISOString()} LIMIT ${limit}) old
      WHERE h.account_id IS NOT NULL
      LIMIT ${limit}
    )
    DELETE FROM ${rows} WHERE ctid = ANY(ARRAY(SELECT ctid FROM doomed))`);
  return result.rowCount ?? 0;
}
