import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migration 0023 adds the monthly attribute rollup (stats_attribute_monthly) and fills it from the days folded so
 * far, holding the follow_events cursor. The database is migrated to 0022, given the day rows the old fold wrote,
 * then migrated to the end while an old fold still holds the cursor.
 */
const url = useMigrationDatabase('attributes_migration');

describe('migration 0023 (attribute months)', () => {
  it('sums the attribute days folded so far per calendar month, including those of a fold that held the cursor while it ran', async () => {
    await migrateThrough(url, '0022_drop_message_senders');
    await withClient(url, async (before) => {
      // Account 1: days on both sides of two month ends, a value that nets to 0 in October, and a city; account 2
      // apart.
      await before.query(`
        INSERT INTO stats_attribute_daily (account_id, day, attribute, value, delta) VALUES
          (1, '2026-09-01', 'gender', 'male', 1), (1, '2026-09-30', 'gender', 'male', 2),
          (1, '2026-10-01', 'gender', 'male', 1), (1, '2026-10-31', 'gender', 'male', -1),
          (1, '2026-10-01', 'gender', 'female', 3), (1, '2026-10-15', 'city', '深圳', 1),
          (1, '2026-11-01', 'gender', 'female', -1),
          (2, '2026-10-02', 'gender', 'male', 5)`);
      await before.query(`INSERT INTO stats_cursors (source, timezone) VALUES ('follow_events', 'Asia/Shanghai')`);
    });

    // A fold of the old code is in progress: it holds the cursor and has written a day it has not committed yet.
    // Its session must stay open, its transaction uncommitted, while the migration runs, so it is not a withClient
    // step: it is committed once the migration is seen waiting, and ended whatever happens.
    const fold = new pg.Client({ connectionString: url });
    await fold.connect();
    try {
      await fold.query('BEGIN');
      await fold.query(`SELECT 1 FROM stats_cursors WHERE source = 'follow_events' FOR UPDATE`);
      await fold.query(`
        INSERT INTO stats_attribute_daily AS d (account_id, day, attribute, value, delta) VALUES (1, '2026-11-02', 'gender', 'female', 4)
        ON CONFLICT (account_id, day, attribute, value) DO UPDATE SET delta = d.delta + excluded.delta`);
      const migrated = runMigrations(url);
      // The migration waits for the cursor (and only then sums the days, the fold's among them).
      await withClient(url, async (watcher) => {
        for (let waited = 0; ; waited += 50) {
          const waiting = await watcher.query(`
            SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%stats_cursors%'`);
          if (waiting.rows.length > 0) break;
          if (waited > 10_000) throw new Error('the migration did not wait for the follow_events cursor');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      await fold.query('COMMIT');
      await migrated;
    } finally {
      await fold.end();
    }

    await withClient(url, async (after) => {
      const months = await after.query(`
        SELECT account_id::int, month_start::text, attribute, value, delta FROM stats_attribute_monthly ORDER BY 1, 2, 3, value COLLATE "C"`);
      expect(months.rows.map((row) => [row.account_id, row.month_start, row.attribute, row.value, row.delta])).toEqual([
        [1, '2026-09-01', 'gender', 'male', 3],
        [1, '2026-10-01', 'city', '深圳', 1],
        [1, '2026-10-01', 'gender', 'female', 3],
        [1, '2026-10-01', 'gender', 'male', 0],
        [1, '2026-11-01', 'gender', 'female', 3],
        [2, '2026-10-01', 'gender', 'male', 5],
      ]);
      // A month is named by its first day, and nothing else.
      await expect(after.query(`INSERT INTO stats_attribute_monthly (account_id, month_start, attribute, value, delta) VALUES (1, '2026-10-02', 'gender', 'male', 1)`)).rejects.toThrow(
        /stats_attribute_monthly_month_start/,
      );
    });
  });
});
