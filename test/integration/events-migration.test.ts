import { describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import { withClient } from '../helpers/databases.js';
import { migrateThrough, useMigrationDatabase } from '../helpers/migrations.js';

/**
 * Migration 0004 backfills the scene of unsubscribe events written before unsubscribes recorded it. The database is
 * migrated to 0003, given the rows the old code wrote (scene NULL on unsubscribes), then migrated to the end.
 */
const url = useMigrationDatabase('events_migration');

const migrateUpTo = (lastTag: string) => migrateThrough(url, lastTag);

describe('migration 0004 (unsubscribe scenes)', () => {
  it('gives old unsubscribe events the scene of the follow they ended', async () => {
    await migrateUpTo('0003_broadcasts');
    await withClient(url, async (client) => {
      const q = (text: string, values: unknown[] = []) => client.query(text, values);
      const owner = (await q(`INSERT INTO users (email, password_hash) VALUES ('m@example.com', 'x') RETURNING id`)).rows[0].id;
      const account = (
        await q(`INSERT INTO accounts (name, appid, original_id, appsecret_hash, created_by) VALUES ('A', 'wx0000000000000001', 'gh_1', 'x', $1) RETURNING id`, [owner])
      ).rows[0].id;
      const [qrUser, twiceUser, orphanUser] = (await q(`INSERT INTO wechat_users (nickname) VALUES ('a'), ('b'), ('c') RETURNING id`)).rows.map((r) => r.id);
      const follower = async (user: string, openid: string, scene: string, qrScene: number | null, subscribed: boolean) =>
        (
          await q(
            `INSERT INTO followers (account_id, wechat_user_id, openid, subscribed, subscribed_at, first_subscribed_at, subscribe_scene, qr_scene)
             VALUES ($1, $2, $3, $4, '2026-01-01', '2026-01-01', $5, $6) RETURNING id`,
            [account, user, openid, subscribed, scene, qrScene],
          )
        ).rows[0].id;
      const qrFollower = await follower(qrUser, 'o1', 'ADD_SCENE_QR_CODE', 7, false);
      // Followed by QR code, left, came back from a search (the follower row now says search), left again.
      const twiceFollower = await follower(twiceUser, 'o2', 'ADD_SCENE_SEARCH', null, false);
      // An unsubscribe with no subscribe event before it: the follower row is all there is.
      const orphanFollower = await follower(orphanUser, 'o3', 'ADD_SCENE_PROFILE_CARD', null, false);
      const event = (followerId: string, user: string, kind: string, scene: string | null, qrScene: number | null, at: string) =>
        q(
          `INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, scene, qr_scene, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [account, followerId, user, kind, scene, qrScene, at],
        );
      await event(qrFollower, qrUser, 'subscribe', 'ADD_SCENE_QR_CODE', 7, '2026-01-01T00:00:00Z');
      await event(qrFollower, qrUser, 'unsubscribe', null, null, '2026-01-02T00:00:00Z');
      await event(twiceFollower, twiceUser, 'subscribe', 'ADD_SCENE_QR_CODE', 9, '2026-01-01T00:00:00Z');
      await event(twiceFollower, twiceUser, 'unsubscribe', null, null, '2026-01-02T00:00:00Z');
      await event(twiceFollower, twiceUser, 'subscribe', 'ADD_SCENE_SEARCH', null, '2026-01-03T00:00:00Z');
      await event(twiceFollower, twiceUser, 'unsubscribe', null, null, '2026-01-04T00:00:00Z');
      await event(orphanFollower, orphanUser, 'unsubscribe', null, null, '2026-01-02T00:00:00Z');
      await event('999999', '999999', 'unsubscribe', null, null, '2026-01-02T00:00:00Z');

      await runMigrations(url);

      const rows = (await q(`SELECT follower_id::int AS follower_id, kind, scene, qr_scene FROM follow_events ORDER BY id`)).rows;
      expect(rows).toEqual([
        { follower_id: Number(qrFollower), kind: 'subscribe', scene: 'ADD_SCENE_QR_CODE', qr_scene: 7 },
        { follower_id: Number(qrFollower), kind: 'unsubscribe', scene: 'ADD_SCENE_QR_CODE', qr_scene: 7 },
        { follower_id: Number(twiceFollower), kind: 'subscribe', scene: 'ADD_SCENE_QR_CODE', qr_scene: 9 },
        { follower_id: Number(twiceFollower), kind: 'unsubscribe', scene: 'ADD_SCENE_QR_CODE', qr_scene: 9 },
        { follower_id: Number(twiceFollower), kind: 'subscribe', scene: 'ADD_SCENE_SEARCH', qr_scene: null },
        { follower_id: Number(twiceFollower), kind: 'unsubscribe', scene: 'ADD_SCENE_SEARCH', qr_scene: null },
        { follower_id: Number(orphanFollower), kind: 'unsubscribe', scene: 'ADD_SCENE_PROFILE_CARD', qr_scene: null },
        { follower_id: 999999, kind: 'unsubscribe', scene: 'ADD_SCENE_OTHERS', qr_scene: null },
      ]);
      await expect(q(`INSERT INTO follow_events (account_id, follower_id, wechat_user_id, kind, occurred_at) VALUES ($1, 1, 1, 'unsubscribe', now())`, [account])).rejects.toThrow(
        /null value in column "scene"/,
      );
    });
  });
});
