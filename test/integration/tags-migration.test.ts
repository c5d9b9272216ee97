import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import * as schema from '../../src/db/schema/index.js';
import { findUnitsUsed } from '../../src/modules/accounts/quota.repo.js';
import { quotaWindow } from '../../src/modules/accounts/quota-window.js';
import { insertTag } from '../../src/modules/followers/tags.repo.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/** The migration that numbers tags per account and keys quota counters by window kind. */
const MIGRATION = '0005_tags_per_account_quota_windows';

const url = useMigrationDatabase('tags_migration');
let pool: pg.Pool;

beforeAll(async () => {
  // The database as it was just before MIGRATION.
  await migrateThrough(url, '0004_events_unsubscribe_scene');
  pool = new pg.Pool({ connectionString: url, max: 2 });
});

// Registered after useMigrationDatabase's drop, so it runs before it (vitest runs afterAll hooks last-in, first-out).
afterAll(async () => {
  await pool?.end();
});

describe(`migration ${MIGRATION}`, () => {
  it("renumbers existing tags per account from 100 and carries follower tags, broadcast targets and the quota's use along", async () => {
    // Tags as the global sequence numbered them: A 100, B 101, A 102, A 103 (deleted later), A 104.
    await pool.query(`
      INSERT INTO users (email, password_hash) VALUES ('owner@example.com', 'x');
      INSERT INTO accounts (name, appid, original_id, appsecret_hash, created_by)
        VALUES ('A', 'wxa', 'gh_a', 'x', 1), ('B', 'wxb', 'gh_b', 'x', 1);
      INSERT INTO tags (id, account_id, name) OVERRIDING SYSTEM VALUE
        VALUES (100, 1, 'a1'), (101, 2, 'b1'), (102, 1, 'a2'), (103, 1, 'gone'), (104, 1, 'a3');
      INSERT INTO wechat_users (nickname) VALUES ('u1'), ('u2'), ('u3');
      INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene)
        VALUES (1, 1, 'o1', true, now(), now(), 'ADD_SCENE_SEARCH'), (1, 2, 'o2', true, now(), now(), 'ADD_SCENE_SEARCH'),
               (2, 3, 'o3', true, now(), now(), 'ADD_SCENE_SEARCH');
      INSERT INTO follower_tags (tag_id, follower_id) VALUES (100, 1), (102, 1), (103, 2), (104, 2), (101, 3);
      DELETE FROM tags WHERE id = 103;
      INSERT INTO broadcasts (account_id, message_type, target, target_tag_id, created_at)
        VALUES (1, 'text', 'tag', 104, now()), (1, 'text', 'tag', 103, now()), (2, 'text', 'tag', 101, now()), (1, 'text', 'all', NULL, now());
      INSERT INTO quota_ledger (account_id, period_start, consumed_at, purpose) VALUES (1, '2026-06-14T16:00:00Z', '2026-06-15T04:00:00Z', 'broadcast');
      INSERT INTO quota_counters (account_id, period_start, used) VALUES (1, '2026-06-14T16:00:00Z', 1);
    `);

    await runMigrations(url);

    const tags = await pool.query('SELECT account_id::int, id, name FROM tags ORDER BY account_id, id');
    expect(tags.rows).toEqual([
      { account_id: 1, id: 100, name: 'a1' },
      { account_id: 1, id: 101, name: 'a2' },
      { account_id: 1, id: 102, name: 'a3' },
      { account_id: 2, id: 100, name: 'b1' },
    ]);
    const memberships = await pool.query('SELECT account_id::int, tag_id, follower_id::int FROM follower_tags ORDER BY account_id, tag_id, follower_id');
    expect(memberships.rows).toEqual([
      { account_id: 1, tag_id: 100, follower_id: 1 },
      { account_id: 1, tag_id: 101, follower_id: 1 },
      { account_id: 1, tag_id: 102, follower_id: 2 },
      { account_id: 2, tag_id: 100, follower_id: 3 },
    ]);
    // The broadcast to the deleted tag keeps no id: 103 would now be the next tag of account A.
    const targets = await pool.query('SELECT account_id::int, target, target_tag_id FROM broadcasts ORDER BY id');
    expect(targets.rows).toEqual([
      { account_id: 1, target: 'tag', target_tag_id: 102 },
      { account_id: 1, target: 'tag', target_tag_id: null },
      { account_id: 2, target: 'tag', target_tag_id: 100 },
      { account_id: 1, target: 'all', target_tag_id: null },
    ]);

    const db = drizzle(pool, { schema });
    expect((await insertTag(db, 1, 'next')).id).toBe(103);
    expect((await insertTag(db, 2, 'next')).id).toBe(101);
    const day = quotaWindow(new Date('2026-06-15T04:00:00Z'), 'day', 'Asia/Shanghai');
    expect(await findUnitsUsed(db, 1, 'day', day)).toBe(1);
  });
});
