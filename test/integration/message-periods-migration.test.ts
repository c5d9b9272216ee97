import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema/index.js';
import { MIGRATIONS_FOLDER, runMigrations } from '../../src/db/migrate.js';
import { foldEvents } from '../../src/modules/stats/fold.repo.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migrations 0027–0028 move the message rollups from a row per period and type (stats_messages: 'all', each of our
 * types, WeChat's combined 'wechat:4' / 'wechat:6') to a row per period with columns per type
 * (stats_message_periods). The database is migrated to the migration before 0027, given the rows the old fold
 * wrote, then migrated to the end.
 */
const url = useMigrationDatabase('message_periods_migration');

/** The tag of the migration just before `tag`, from the journal. */
function tagBefore(tag: string): string {
  const { entries } = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
  const index = entries.findIndex((entry) => entry.tag === tag);
  if (index < 1) throw new Error(`${tag} is not in the migrations journal`);
  return entries[index - 1]!.tag;
}

const NO_FIGURES = {
  msg_user: 0,
  msg_count: 0,
  senders_1_to_5: 0,
  senders_6_to_10: 0,
  senders_over_10: 0,
  text_user: 0,
  text_count: 0,
  image_user: 0,
  image_count: 0,
  voice_user: 0,
  voice_count: 0,
  video_user: 0,
  video_count: 0,
  shortvideo_user: 0,
  shortvideo_count: 0,
  location_user: 0,
  location_count: 0,
  link_user: 0,
  link_count: 0,
  wechat_4_user: 0,
  wechat_6_user: 0,
};
const periodRow = (account_id: number, period: string, period_start: string, figures: Partial<typeof NO_FIGURES>) => ({
  account_id,
  period,
  period_start,
  ...NO_FIGURES,
  ...figures,
});

describe('migrations 0027–0028 (a row per message period)', () => {
  it('carries each period’s figures in all, by type and by WeChat combined type into one row, keeps only the buckets of all, and folds on from there', async () => {
    await migrateThrough(url, tagBefore('0027_message_periods'));
    await withClient(url, async (client) => {
      // Account 1 on 1 Dec: 3 senders of 9 messages (4 texts from 2, 2 videos from 1, 2 short videos from 2, a
      // location from 1). WeChat's type 4 has 2 distinct senders, not 1 + 2. The old rows kept buckets per type too.
      await client.query(`
        INSERT INTO stats_messages (account_id, period, period_start, msg_type, msg_user, msg_count, senders_1_to_5, senders_6_to_10, senders_over_10) VALUES
          (1, 'day', '2026-12-01', 'all', 3, 9, 2, 1, 0), (1, 'day', '2026-12-01', 'text', 2, 4, 2, 0, 0),
          (1, 'day', '2026-12-01', 'video', 1, 2, 1, 0, 0), (1, 'day', '2026-12-01', 'shortvideo', 2, 2, 2, 0, 0),
          (1, 'day', '2026-12-01', 'wechat:4', 2, 4, 2, 0, 0), (1, 'day', '2026-12-01', 'location', 1, 1, 1, 0, 0),
          (1, 'day', '2026-12-01', 'wechat:6', 1, 1, 1, 0, 0),
          (1, 'month', '2026-12-01', 'all', 4, 12, 3, 1, 0), (1, 'month', '2026-12-01', 'text', 3, 6, 3, 0, 0),
          (1, 'month', '2026-12-01', 'image', 1, 1, 1, 0, 0), (1, 'month', '2026-12-01', 'video', 1, 2, 1, 0, 0),
          (1, 'month', '2026-12-01', 'shortvideo', 2, 2, 2, 0, 0), (1, 'month', '2026-12-01', 'wechat:4', 2, 4, 2, 0, 0),
          (1, 'month', '2026-12-01', 'location', 1, 1, 1, 0, 0), (1, 'month', '2026-12-01', 'wechat:6', 1, 1, 1, 0, 0),
          (2, 'week', '2026-11-30', 'all', 1, 14, 0, 0, 1), (2, 'week', '2026-11-30', 'voice', 1, 14, 0, 0, 1)`);
      await client.query(`INSERT INTO stats_cursors (source, timezone) VALUES ('messages', 'Asia/Shanghai')`);
    });

    await runMigrations(url);

    await withClient(url, async (after) => {
      const periods = async () =>
        (await after.query(`SELECT to_jsonb(p) AS row FROM stats_message_periods p ORDER BY account_id, period, period_start`)).rows.map((row) => row.row);
      const day = { msg_user: 3, msg_count: 9, senders_1_to_5: 2, senders_6_to_10: 1, text_user: 2, text_count: 4, video_user: 1, video_count: 2 };
      const dayCombined = { shortvideo_user: 2, shortvideo_count: 2, location_user: 1, location_count: 1, wechat_4_user: 2, wechat_6_user: 1 };
      const month = { msg_user: 4, msg_count: 12, senders_1_to_5: 3, senders_6_to_10: 1, text_user: 3, text_count: 6, image_user: 1, image_count: 1, video_user: 1, video_count: 2 };
      expect(await periods()).toEqual([
        periodRow(1, 'day', '2026-12-01', { ...day, ...dayCombined }),
        periodRow(1, 'month', '2026-12-01', { ...month, ...dayCombined }),
        periodRow(2, 'week', '2026-11-30', { msg_user: 1, msg_count: 14, senders_over_10: 1, voice_user: 1, voice_count: 14 }),
      ]);
      const gone = await after.query(`SELECT to_regclass('stats_messages') AS old`);
      expect(gone.rows[0].old).toBeNull();
      const options = await after.query(`SELECT reloptions FROM pg_class WHERE oid = 'stats_message_periods'::regclass`);
      expect(options.rows[0].reloptions).toEqual(['fillfactor=50']);

      // A link from a new sender on 1 Dec (Shanghai noon) adds to the carried day and month, and starts the week.
      const inserted = await after.query(`
        INSERT INTO messages (msg_id, account_id, follower_id, wechat_user_id, msg_type, body, occurred_at)
        VALUES (1, 1, 99, 99, 'link', '{}', '2026-12-01T04:00:00Z') RETURNING id`);
      await drizzle(after, { schema }).transaction((tx) => foldEvents(tx, 'messages', sql`id = ${Number(inserted.rows[0].id)}`, 'Asia/Shanghai'));
      const link = { link_user: 1, link_count: 1 };
      expect(await periods()).toEqual([
        periodRow(1, 'day', '2026-12-01', { ...day, ...dayCombined, ...link, msg_user: 4, msg_count: 10, senders_1_to_5: 3, wechat_6_user: 2 }),
        periodRow(1, 'month', '2026-12-01', { ...month, ...dayCombined, ...link, msg_user: 5, msg_count: 13, senders_1_to_5: 4, wechat_6_user: 2 }),
        periodRow(1, 'week', '2026-11-30', { ...link, msg_user: 1, msg_count: 1, senders_1_to_5: 1, wechat_6_user: 1 }),
        periodRow(2, 'week', '2026-11-30', { msg_user: 1, msg_count: 14, senders_over_10: 1, voice_user: 1, voice_count: 14 }),
      ]);
    });
  });
});
