import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema/index.js';
import { foldEvents } from '../../src/modules/stats/fold.repo.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migration 0030 moves senders per hour from a row per sender, hour and key (stats_hourly_users, metric 'msg') to
 * the hours of each type on the sender's day row in stats_period_senders. The database is migrated to 0029, given
 * the rows the old fold wrote, migrated to 0030, and folded on.
 */
const url = useMigrationDatabase('sender_hours_migration');

describe('migration 0030 (senders per hour on their day rows)', () => {
  it('carries the hours each sender sent each type into their day row, keeps engagement hours, and folds on from there', async () => {
    await migrateThrough(url, '0029_day_changes');
    await withClient(url, async (client) => {
      // Sender 10 on 1 Dec (Shanghai): 2 texts at 09:xx, a video at 23:xx. Sender 11: a text at 09:xx. Sender 10 also
      // read an article at 09:xx.
      await client.query(`
        INSERT INTO stats_period_senders (account_id, period, period_start, wechat_user_id, msg_count, text_count, video_count) VALUES
          (1, 'day', '2026-12-01', 10, 3, 2, 1), (1, 'week', '2026-11-30', 10, 3, 2, 1), (1, 'month', '2026-12-01', 10, 3, 2, 1),
          (1, 'day', '2026-12-01', 11, 1, 1, 0), (1, 'week', '2026-11-30', 11, 1, 1, 0), (1, 'month', '2026-12-01', 11, 1, 1, 0)`);
      await client.query(`
        INSERT INTO stats_hourly_users (account_id, day, hour, metric, key, wechat_user_id) VALUES
          (1, '2026-12-01', 9, 'msg', 'text', 10), (1, '2026-12-01', 9, 'msg', 'all', 10),
          (1, '2026-12-01', 23, 'msg', 'video', 10), (1, '2026-12-01', 23, 'msg', 'all', 10), (1, '2026-12-01', 23, 'msg', 'wechat:4', 10),
          (1, '2026-12-01', 9, 'msg', 'text', 11), (1, '2026-12-01', 9, 'msg', 'all', 11),
          (1, '2026-12-01', 9, 'read', 'all', 10)`);
      await client.query(`
        INSERT INTO stats_hourly (account_id, day, hour, metric, key, users, count) VALUES
          (1, '2026-12-01', 9, 'msg', 'text', 2, 3), (1, '2026-12-01', 9, 'msg', 'all', 2, 3),
          (1, '2026-12-01', 23, 'msg', 'video', 1, 1), (1, '2026-12-01', 23, 'msg', 'all', 1, 1), (1, '2026-12-01', 23, 'msg', 'wechat:4', 1, 1)`);
      await client.query(`INSERT INTO stats_cursors (source, timezone) VALUES ('messages', 'Asia/Shanghai')`);
    });

    // To 0030 only: 0031 moves the engagements' hours and drops stats_hourly_users (sender-hours is its own test).
    await migrateThrough(url, '0030_sender_hours');

    await withClient(url, async (after) => {
      const senders = await after.query(`
        SELECT period, wechat_user_id::int AS sender, text_hours, image_hours, video_hours, shortvideo_hours, link_hours
        FROM stats_period_senders ORDER BY wechat_user_id, period`);
      const noHours = { text_hours: null, image_hours: null, video_hours: null, shortvideo_hours: null, link_hours: null };
      const hours = { text_hours: 0, image_hours: 0, video_hours: 0, shortvideo_hours: 0, link_hours: 0 };
      expect(senders.rows).toEqual([
        { period: 'day', sender: 10, ...hours, text_hours: 1 << 9, video_hours: 1 << 23 },
        { period: 'month', sender: 10, ...noHours },
        { period: 'week', sender: 10, ...noHours },
        { period: 'day', sender: 11, ...hours, text_hours: 1 << 9 },
        { period: 'month', sender: 11, ...noHours },
        { period: 'week', sender: 11, ...noHours },
      ]);
      const left = await after.query(`SELECT metric, key FROM stats_hourly_users`);
      expect(left.rows).toEqual([{ metric: 'read', key: 'all' }]);

      // Sender 10 again: a text at 09:30 and a short video at 23:10 (hours they had), an image at 10:00 (a new hour).
      const inserted = await after.query(`
        INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at) VALUES
          (1, 1, 90, 10, 'text', '{}', '2026-12-01T01:30:00Z'), (2, 1, 90, 10, 'shortvideo', '{}', '2026-12-01T15:10:00Z'),
          (3, 1, 90, 10, 'image', '{}', '2026-12-01T02:00:00Z')
        RETURNING id`);
      const ids = inserted.rows.map((row) => Number(row.id));
      await drizzle(after, { schema }).transaction((tx) => foldEvents(tx, 'messages', sql`id = ANY(${sql.param(ids)}::bigint[])`, 'Asia/Shanghai'));
      const hourly = await after.query(`SELECT hour::int, key, users, count FROM stats_hourly WHERE metric = 'msg' ORDER BY hour, key`);
      expect(hourly.rows).toEqual([
        { hour: 9, key: 'all', users: 2, count: 4 },
        { hour: 9, key: 'text', users: 2, count: 4 },
        { hour: 10, key: 'all', users: 1, count: 1 },
        { hour: 10, key: 'image', users: 1, count: 1 },
        { hour: 23, key: 'all', users: 1, count: 2 },
        { hour: 23, key: 'shortvideo', users: 1, count: 1 },
        { hour: 23, key: 'video', users: 1, count: 1 },
        { hour: 23, key: 'wechat:4', users: 1, count: 2 },
      ]);
      const day = await after.query(`SELECT text_hours, image_hours, video_hours, shortvideo_hours FROM stats_period_senders WHERE period = 'day' AND wechat_user_id = 10`);
      expect(day.rows).toEqual([{ text_hours: 1 << 9, image_hours: 1 << 10, video_hours: 1 << 23, shortvideo_hours: 1 << 23 }]);
    });
  });
});
