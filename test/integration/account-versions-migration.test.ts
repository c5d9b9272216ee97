import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migration 0024 brings per-account versions of the statistics rollups (stats_account_versions), which the stats
 * routes keep answers by. "No version" must mean "no rollups" (a reset empties both), so every account that exists
 * when it runs, and so may already have rollups, is given a version.
 */
const url = useMigrationDatabase('account_versions_migration');

describe('migration 0024 (per-account rollup versions)', () => {
  it('gives every existing account a version', async () => {
    await migrateThrough(url, '0023_attribute_months');
    await withClient(url, async (client) => {
      await client.query(`INSERT INTO users (email, password_hash) VALUES ('owner@example.com', 'x')`);
      await client.query(`
        INSERT INTO accounts (name, appid, original_id, appsecret_hash, created_by)
        SELECT 'Account ' || n, 'wx' || n, 'gh_' || n, 'x', (SELECT id FROM users) FROM generate_series(1, 2) n`);
    });

    await runMigrations(url);

    await withClient(url, async (after) => {
      const rows = await after.query(`
        SELECT a.appid, v.source, v.version > 0 AS has_version
        FROM accounts a LEFT JOIN stats_account_versions v ON v.account_id = a.id ORDER BY a.appid`);
      expect(rows.rows).toEqual([
        { appid: 'wx1', source: 'migration', has_version: true },
        { appid: 'wx2', source: 'migration', has_version: true },
      ]);
    });
  });
});
