import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

const MIGRATION = '0006_deliveries_by_broadcast';
const url = useMigrationDatabase('deliveries_migration');

describe(`migration ${MIGRATION}`, () => {
  it('re-keys existing deliveries by (broadcast_id, follower_id) and keeps every row', async () => {
    // The database as it was before this migration.
    await migrateThrough(url, '0005_tags_per_account_quota_windows');

    await withClient(url, async (client) => {
      // A few followers who each received a few broadcasts, written in the old key order.
      await client.query(`
        INSERT INTO deliveries (follower_id, broadcast_id, delivered_at)
        SELECT f, b, timestamptz '2026-06-01T04:00:00Z' + b * interval '1 day' + f * interval '1 second'
        FROM generate_series(1, 50) f, generate_series(1, 6) b WHERE (f + b) % 4 <> 0`);
      const rows = 'SELECT broadcast_id::text, follower_id::text, delivered_at::text FROM deliveries ORDER BY broadcast_id, follower_id';
      const before = (await client.query(rows)).rows;
      expect(before.length).toBeGreaterThan(200);

      await runMigrations(url);

      expect((await client.query(rows)).rows).toEqual(before);
      const indexes = await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'deliveries'`);
      expect(indexes.rows).toEqual([{ indexname: 'deliveries_broadcast_id_follower_id_pk', indexdef: expect.stringMatching(/\(broadcast_id, follower_id\)$/) }]);
      // The key still makes a delivery happen once.
      const again = await client.query(`INSERT INTO deliveries (broadcast_id, follower_id, delivered_at) VALUES (1, 1, now()) ON CONFLICT DO NOTHING`);
      expect(again.rowCount).toBe(0);
    });
  });
});
