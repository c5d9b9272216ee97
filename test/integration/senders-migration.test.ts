import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migrations 0021–0022 move the messages fold's senders from one row per type and period (stats_message_senders) to
 * one row per period with a column per type (stats_period_senders). The database is migrated to 0020, given the rows
 * the old fold wrote, then migrated to the end.
 */
const url = useMigrationDatabase('senders_migration');

describe('migrations 0021–0022 (senders per period)', () => {
  it('carries every sender’s counts by type and in all (capped at 11) into a column per type, drops WeChat’s combined keys, and leaves room for updates', async () => {
    await migrateThrough(url, '0020_templates');
    await withClient(url, async (client) => {
      // Sender 7 sent 3 texts and 2 videos on 1 Dec (the old fold's rows: each type, 'all', WeChat's 4), and 1 link on
      // 2 Dec; sender 8 one image in the month. Account 2's sender 7 sent 14 texts: kept as 11, the fold's cap.
      await client.query(`
        INSERT INTO stats_message_senders (account_id, period, period_start, msg_type, wechat_user_id, msg_count) VALUES
          (1, 'day', '2026-12-01', 'text', 7, 3), (1, 'day', '2026-12-01', 'video', 7, 2),
          (1, 'day', '2026-12-01', 'all', 7, 5), (1, 'day', '2026-12-01', 'wechat:4', 7, 2),
          (1, 'day', '2026-12-02', 'link', 7, 1), (1, 'day', '2026-12-02', 'all', 7, 1), (1, 'day', '2026-12-02', 'wechat:6', 7, 1),
          (1, 'month', '2026-12-01', 'text', 7, 3), (1, 'month', '2026-12-01', 'video', 7, 2), (1, 'month', '2026-12-01', 'link', 7, 1),
          (1, 'month', '2026-12-01', 'all', 7, 6), (1, 'month', '2026-12-01', 'wechat:4', 7, 2), (1, 'month', '2026-12-01', 'wechat:6', 7, 1),
          (1, 'month', '2026-12-01', 'image', 8, 1), (1, 'month', '2026-12-01', 'all', 8, 1),
          (2, 'month', '2026-12-01', 'text', 7, 14), (2, 'month', '2026-12-01', 'all', 7, 14)`);
      await client.query(`INSERT INTO stats_cursors (source, timezone) VALUES ('messages', 'Asia/Shanghai')`);
    });

    await runMigrations(url);

    await withClient(url, async (after) => {
      const rows = await after.query(`
        SELECT account_id::int, period, period_start::text, wechat_user_id::int, msg_count,
               text_count AS text, image_count AS image, video_count AS video, link_count AS link,
               voice_count + shortvideo_count + location_count AS others
        FROM stats_period_senders ORDER BY 1, 2, 3, 4`);
      const sender = (account_id: number, period: string, period_start: string, wechat_user_id: number, counts: Record<string, number>) => ({
        account_id, period, period_start, wechat_user_id, text: 0, image: 0, video: 0, link: 0, others: 0, ...counts,
      });
      expect(rows.rows).toEqual([
        sender(1, 'day', '2026-12-01', 7, { msg_count: 5, text: 3, video: 2 }),
        sender(1, 'day', '2026-12-02', 7, { msg_count: 1, link: 1 }),
        sender(1, 'month', '2026-12-01', 7, { msg_count: 6, text: 3, video: 2, link: 1 }),
        sender(1, 'month', '2026-12-01', 8, { msg_count: 1, image: 1 }),
        sender(2, 'month', '2026-12-01', 7, { msg_count: 11, text: 11 }),
      ]);
      const gone = await after.query(`SELECT to_regclass('stats_message_senders') AS old`);
      expect(gone.rows[0].old).toBeNull();
      const options = await after.query(`SELECT reloptions FROM pg_class WHERE oid = 'stats_period_senders'::regclass`);
      expect(options.rows[0].reloptions).toEqual(['fillfactor=50']);
    });
  });
});
