import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migration 0029 draws the rollups' versions from a sequence (they were transaction ids), gives each account version
 * an epoch, and brings stats_day_changes. A version must still never repeat, so the sequence goes on from above every
 * version there is; the rows there are keep their versions and take them as their epochs.
 */
const url = useMigrationDatabase('day_changes_migration');

describe('migration 0029 (versions from a sequence, epochs, day changes)', () => {
  it('keeps the versions there are, gives them epochs, and draws new ones above all of them', async () => {
    await migrateThrough(url, '0028_drop_stats_messages');
    // A version from far ahead of this server's transaction ids, as a restored dump may carry.
    const ahead = 9_000_000_000;
    await withClient(url, async (client) => {
      await client.query(`INSERT INTO stats_account_versions (account_id, source, version) VALUES (1, 'messages', ${ahead}), (2, 'follow_events', 5)`);
    });

    await runMigrations(url);

    await withClient(url, async (after) => {
      const rows = await after.query(`SELECT account_id::int, source, version::text, epoch::text FROM stats_account_versions ORDER BY account_id`);
      expect(rows.rows).toEqual([
        { account_id: 1, source: 'messages', version: String(ahead), epoch: String(ahead) },
        { account_id: 2, source: 'follow_events', version: '5', epoch: '5' },
      ]);
      const drawn = await after.query(`SELECT nextval('stats_version_seq')::text AS version`);
      expect(BigInt(drawn.rows[0].version)).toBeGreaterThan(BigInt(ahead));
      const days = await after.query(`SELECT count(*)::int AS n FROM stats_day_changes`);
      expect(days.rows[0].n).toBe(0);
    });
  });
});
