import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migrations 0025–0026 move the engagement rollups from one row per action (stats_article_daily per article, day and
 * action; stats_reads_daily per day, action and channel) to one row with a column pair per action (stats_article_days
 * per article and day; stats_read_days per day and channel). The database is migrated to 0024, given the rows the old
 * fold wrote, then migrated to the end.
 */
const url = useMigrationDatabase('engagement_migration');

describe('migrations 0025–0026 (engagement per article day and per channel day)', () => {
  it('carries every action’s users, events and first users into its columns of one row per article and day, and per day and channel', async () => {
    await migrateThrough(url, '0024_account_versions');
    await withClient(url, async (client) => {
      // Article 1 of broadcast 100 was read and shared on 1 Dec, read (by one reader new to it: a reader of 1 Dec
      // came back, another's first day moved to 1 Dec) and opened at its original link on 2 Dec; article 2 was
      // favourited on 1 Dec. Account 2 read its own broadcast 100 on 1 Dec.
      await client.query(`
        INSERT INTO stats_article_daily (account_id, msg_data_id, article_index, day, action, users, count, first_users) VALUES
          (1, 100, 1, '2026-12-01', 'read', 3, 4, 3), (1, 100, 1, '2026-12-01', 'share', 1, 2, 1),
          (1, 100, 1, '2026-12-02', 'read', 2, 2, -1), (1, 100, 1, '2026-12-02', 'original', 1, 1, 1),
          (1, 100, 2, '2026-12-01', 'favorite', 1, 1, 1),
          (2, 100, 1, '2026-12-01', 'read', 5, 6, 5)`);
      await client.query(`
        INSERT INTO stats_reads_daily (account_id, day, action, channel, users, count) VALUES
          (1, '2026-12-01', 'read', 'all', 3, 4), (1, '2026-12-01', 'read', 'session', 2, 3), (1, '2026-12-01', 'read', 'moments', 1, 1),
          (1, '2026-12-01', 'share', 'all', 1, 2), (1, '2026-12-01', 'share', 'session', 1, 2), (1, '2026-12-01', 'share', 'scene:moments', 1, 2),
          (1, '2026-12-01', 'favorite', 'all', 1, 1), (1, '2026-12-01', 'favorite', 'moments', 1, 1),
          (1, '2026-12-02', 'original', 'all', 1, 1), (1, '2026-12-02', 'original', 'history', 1, 1),
          (2, '2026-12-01', 'read', 'all', 5, 6)`);
      await client.query(`INSERT INTO stats_cursors (source, timezone) VALUES ('article_engagements', 'Asia/Shanghai')`);
    });

    await runMigrations(url);

    await withClient(url, async (after) => {
      const articles = await after.query(`
        SELECT account_id::int, msg_data_id::int, article_index, day::text,
               read_users, read_count, read_first_users, original_users, original_count, original_first_users,
               share_users, share_count, share_first_users, favorite_users, favorite_count, favorite_first_users
        FROM stats_article_days ORDER BY 1, 2, 3, 4`);
      const figures = ['read', 'original', 'share', 'favorite'].flatMap((action) => [`${action}_users`, `${action}_count`, `${action}_first_users`]);
      const article = (account_id: number, article_index: number, day: string, counts: Record<string, number>) => ({
        account_id, msg_data_id: 100, article_index, day, ...Object.fromEntries(figures.map((figure) => [figure, 0])), ...counts,
      });
      expect(articles.rows).toEqual([
        article(1, 1, '2026-12-01', { read_users: 3, read_count: 4, read_first_users: 3, share_users: 1, share_count: 2, share_first_users: 1 }),
        article(1, 1, '2026-12-02', { read_users: 2, read_count: 2, read_first_users: -1, original_users: 1, original_count: 1, original_first_users: 1 }),
        article(1, 2, '2026-12-01', { favorite_users: 1, favorite_count: 1, favorite_first_users: 1 }),
        article(2, 1, '2026-12-01', { read_users: 5, read_count: 6, read_first_users: 5 }),
      ]);

      const channels = await after.query(`
        SELECT account_id::int, day::text, channel, read_users, read_count, original_users, original_count, share_users, share_count, favorite_users, favorite_count
        FROM stats_read_days ORDER BY 1, 2, 3`);
      const channel = (account_id: number, day: string, name: string, counts: Record<string, number>) => ({
        account_id, day, channel: name, read_users: 0, read_count: 0, original_users: 0, original_count: 0, share_users: 0, share_count: 0, favorite_users: 0, favorite_count: 0, ...counts,
      });
      expect(channels.rows).toEqual([
        channel(1, '2026-12-01', 'all', { read_users: 3, read_count: 4, share_users: 1, share_count: 2, favorite_users: 1, favorite_count: 1 }),
        channel(1, '2026-12-01', 'moments', { read_users: 1, read_count: 1, favorite_users: 1, favorite_count: 1 }),
        channel(1, '2026-12-01', 'scene:moments', { share_users: 1, share_count: 2 }),
        channel(1, '2026-12-01', 'session', { read_users: 2, read_count: 3, share_users: 1, share_count: 2 }),
        channel(1, '2026-12-02', 'all', { original_users: 1, original_count: 1 }),
        channel(1, '2026-12-02', 'history', { original_users: 1, original_count: 1 }),
        channel(2, '2026-12-01', 'all', { read_users: 5, read_count: 6 }),
      ]);

      const gone = await after.query(`SELECT to_regclass('stats_article_daily') AS articles, to_regclass('stats_reads_daily') AS channels`);
      expect(gone.rows[0]).toEqual({ articles: null, channels: null });
      // Channels compare by code point whatever the database's collation, so the primary key is the API's order.
      const collation = await after.query(`SELECT collation_name FROM information_schema.columns WHERE table_name = 'stats_read_days' AND column_name = 'channel'`);
      expect(collation.rows[0].collation_name).toBe('C');
      const options = await after.query(`SELECT relname, reloptions FROM pg_class WHERE relname IN ('stats_article_days', 'stats_read_days') ORDER BY 1`);
      expect(options.rows).toEqual([
        { relname: 'stats_article_days', reloptions: ['fillfactor=50'] },
        { relname: 'stats_read_days', reloptions: ['fillfactor=50'] },
      ]);
    });
  });
});
