import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema/index.js';
import { runMigrations } from '../../src/db/migrate.js';
import { foldEvents } from '../../src/modules/stats/fold.repo.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migration 0031 moves users per hour of article engagement from a row per user, hour, metric and key
 * (stats_hourly_users) to the hours of the user's day rows in stats_article_day_users ('article:<action>') and
 * stats_reads_day_users (by channel), and drops stats_hourly_users. The database is migrated to 0030, given the rows
 * the old fold wrote, migrated to the end, and folded on.
 */
const url = useMigrationDatabase('engagement_hours_migration');

describe('migration 0031 (engagement users per hour on their day rows)', () => {
  it('carries the hours each user engaged in into their day rows, drops stats_hourly_users, and folds on from there', async () => {
    await migrateThrough(url, '0030_sender_hours');
    await withClient(url, async (client) => {
      // On 1 Dec (Shanghai), article 500/1: user 10 read it from a chat at 09:xx and again at 23:xx, and shared it to a
      // friend at 09:xx. Article 500/2: user 11 read it from Moments at 00:xx.
      await client.query(`
        INSERT INTO stats_article_day_users (account_id, msg_data_id, article_index, day, action, wechat_user_id) VALUES
          (1, 500, 1, '2026-12-01', 'read', 10), (1, 500, 1, '2026-12-01', 'share', 10), (1, 500, 2, '2026-12-01', 'read', 11)`);
      await client.query(`
        INSERT INTO stats_reads_day_users (account_id, day, action, channel, wechat_user_id) VALUES
          (1, '2026-12-01', 'read', 'session', 10), (1, '2026-12-01', 'read', 'all', 10), (1, '2026-12-01', 'share', 'session', 10),
          (1, '2026-12-01', 'share', 'all', 10), (1, '2026-12-01', 'share', 'scene:friend', 10),
          (1, '2026-12-01', 'read', 'moments', 11), (1, '2026-12-01', 'read', 'all', 11)`);
      const hourly = [
        ['article:read', '500/1', 10, 9], ['article:read', '500/1', 10, 23], ['article:share', '500/1', 10, 9], ['article:read', '500/2', 11, 0],
        ['read', 'session', 10, 9], ['read', 'all', 10, 9], ['read', 'session', 10, 23], ['read', 'all', 10, 23],
        ['share', 'session', 10, 9], ['share', 'all', 10, 9], ['share', 'scene:friend', 10, 9],
        ['read', 'moments', 11, 0], ['read', 'all', 11, 0],
        ['msg', 'all', 12, 5], // a message's row, from before 0030 moved them: not an engagement, left out
      ] as const;
      for (const [metric, key, user, hour] of hourly) {
        await client.query(`INSERT INTO stats_hourly_users (account_id, day, hour, metric, key, wechat_user_id) VALUES (1, '2026-12-01', $1, $2, $3, $4)`, [hour, metric, key, user]);
        if (metric !== 'msg') {
          await client.query(`INSERT INTO stats_hourly (account_id, day, hour, metric, key, users, count) VALUES (1, '2026-12-01', $1, $2, $3, 1, 1)
            ON CONFLICT (account_id, day, hour, metric, key) DO UPDATE SET users = stats_hourly.users + 1, count = stats_hourly.count + 1`, [hour, metric, key]);
        }
      }
      await client.query(`INSERT INTO stats_cursors (source, timezone) VALUES ('article_engagements', 'Asia/Shanghai')`);
    });

    await runMigrations(url);

    await withClient(url, async (after) => {
      const articleHours = await after.query(`SELECT msg_data_id::int, article_index, action, wechat_user_id::int AS user, hours FROM stats_article_day_users ORDER BY 1, 2, 3`);
      expect(articleHours.rows).toEqual([
        { msg_data_id: 500, article_index: 1, action: 'read', user: 10, hours: (1 << 9) | (1 << 23) },
        { msg_data_id: 500, article_index: 1, action: 'share', user: 10, hours: 1 << 9 },
        { msg_data_id: 500, article_index: 2, action: 'read', user: 11, hours: 1 },
      ]);
      const channelHours = await after.query(`SELECT action, channel, wechat_user_id::int AS user, hours FROM stats_reads_day_users ORDER BY 3, 1, 2`);
      expect(channelHours.rows).toEqual([
        { action: 'read', channel: 'all', user: 10, hours: (1 << 9) | (1 << 23) },
        { action: 'read', channel: 'session', user: 10, hours: (1 << 9) | (1 << 23) },
        { action: 'share', channel: 'all', user: 10, hours: 1 << 9 },
        { action: 'share', channel: 'scene:friend', user: 10, hours: 1 << 9 },
        { action: 'share', channel: 'session', user: 10, hours: 1 << 9 },
        { action: 'read', channel: 'all', user: 11, hours: 1 },
        { action: 'read', channel: 'moments', user: 11, hours: 1 },
      ]);
      const gone = await after.query(`SELECT to_regclass('stats_hourly_users') AS old`);
      expect(gone.rows[0].old).toBeNull();

      // User 10 reads 500/1 from a chat at 09:40 (an hour they had) and at 10:05 (a new one); user 11 reads 500/2 from
      // Moments at 00:30 (an hour they had).
      const inserted = await after.query(`
        INSERT INTO article_engagements (account_id, msg_data_id, article_index, wechat_user_id, follower_id, was_follower, action, source, occurred_at) VALUES
          (1, 500, 1, 10, 90, true, 'read', 'session', '2026-12-01T01:40:00Z'), (1, 500, 1, 10, 90, true, 'read', 'session', '2026-12-01T02:05:00Z'),
          (1, 500, 2, 11, 91, true, 'read', 'moments', '2026-11-30T16:30:00Z')
        RETURNING id`);
      const ids = inserted.rows.map((row) => Number(row.id));
      await drizzle(after, { schema }).transaction((tx) => foldEvents(tx, 'article_engagements', sql`id = ANY(${sql.param(ids)}::bigint[])`, 'Asia/Shanghai'));
      const rows = await after.query(`SELECT hour::int, metric, key, users, count FROM stats_hourly WHERE metric IN ('read', 'article:read') ORDER BY 1, 2, 3`);
      expect(rows.rows).toEqual([
        { hour: 0, metric: 'article:read', key: '500/2', users: 1, count: 2 },
        { hour: 0, metric: 'read', key: 'all', users: 1, count: 2 },
        { hour: 0, metric: 'read', key: 'moments', users: 1, count: 2 },
        { hour: 9, metric: 'article:read', key: '500/1', users: 1, count: 2 },
        { hour: 9, metric: 'read', key: 'all', users: 1, count: 2 },
        { hour: 9, metric: 'read', key: 'session', users: 1, count: 2 },
        { hour: 10, metric: 'article:read', key: '500/1', users: 1, count: 1 },
        { hour: 10, metric: 'read', key: 'all', users: 1, count: 1 },
        { hour: 10, metric: 'read', key: 'session', users: 1, count: 1 },
        { hour: 23, metric: 'article:read', key: '500/1', users: 1, count: 1 },
        { hour: 23, metric: 'read', key: 'all', users: 1, count: 1 },
        { hour: 23, metric: 'read', key: 'session', users: 1, count: 1 },
      ]);
    });
  });
});
