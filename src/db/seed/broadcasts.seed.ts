import { sql } from 'drizzle-orm';
import type { Executor } from '../client.js';

/**
 * One news broadcast a day over the history (a subscription account's quota), already sent, with 1 to 3 articles.
 * `sent_count` carries the audience, estimated from the seeder's follow-time distribution (the share of followers
 * who had followed by day d of D is about ((d+1)/D)²); seedDeliveryHistory then writes real delivery rows for the
 * recent days and replaces their estimate with the count of those rows.
 */
export async function seedBroadcastHistory(db: Executor, input: { accountId: number; followers: number; from: Date; days: number }): Promise<number> {
  const result = await db.execute(sql`
    WITH days AS (
      SELECT d, ${input.from.toISOString()}::timestamptz + make_interval(days => d, hours => 4) AS at
      FROM generate_series(0, ${input.days}::int - 1) AS d
    ), sent AS (
      INSERT INTO broadcasts (account_id, message_type, target, status, created_at, started_at, finished_at, msg_data_id,
                              batches_total, batches_done, total_count, sent_count, body)
      SELECT ${input.accountId}::bigint, 'news', 'all', 'SEND_SUCCESS', at, at, at + interval '2 minutes', nextval('broadcast_msg_data_id_seq'),
             0, 0,
             round(${input.followers}::float8 * power((d + 1)::float8 / ${input.days}::float8, 2))::int,
             round(${input.followers}::float8 * power((d + 1)::float8 / ${input.days}::float8, 2))::int,
             '{}'::jsonb
      FROM days
      RETURNING id, msg_data_id, created_at
    )
    INSERT INTO broadcast_articles (broadcast_id, idx, account_id, msg_data_id, title, author, digest, content, content_source_url, thumb_url)
    SELECT s.id, i, ${input.accountId}::bigint, s.msg_data_id,
           '第' || to_char(s.created_at AT TIME ZONE 'Asia/Shanghai', 'MM月DD日') || '推送 · 第' || i || '篇', '编辑部', '今日摘要',
           '<p>Seeded article</p>', 'https://example.com/original', 'https://example.com/thumb.jpg'
    FROM sent s CROSS JOIN LATERAL generate_series(1, 1 + (s.id % 3)::int) AS i`);
  return result.rowCount ?? 0;
}

/**
 * Reads, original-link opens, shares and favourites of the seeded articles by random followers (some of whom have
 * since left), within three days of each send. `readRate` is the share of a broadcast's audience that reads it.
 */
export async function seedEngagements(db: Executor, input: { accountId: number; readRate: number }): Promise<number> {
  const result = await db.execute(sql`
    WITH sent AS (
      SELECT b.id, b.msg_data_id, b.created_at, b.sent_count,
             (SELECT count(*) FROM broadcast_articles a WHERE a.broadcast_id = b.id)::int AS articles
      FROM broadcasts b
      WHERE b.account_id = ${input.accountId}::bigint AND b.message_type = 'news' AND b.status = 'SEND_SUCCESS' AND NOT b.is_preview
    ), bounds AS (
      SELECT min(id) AS lo, max(id) AS hi FROM followers WHERE account_id = ${input.accountId}::bigint
    ), picks AS (
      SELECT s.msg_data_id, s.created_at, s.articles, random() AS action_roll, random() AS source_roll, random() AS scene_roll,
             bounds.lo + floor(random() * (bounds.hi - bounds.lo + 1))::bigint AS follower_id
      FROM sent s CROSS JOIN bounds
      CROSS JOIN LATERAL generate_series(1, greatest(1, round(s.sent_count * ${input.readRate}::float8)::int))
    ), shaped AS (
      SELECT p.*,
             CASE WHEN action_roll < 0.78 THEN 'read' WHEN action_roll < 0.86 THEN 'original'
                  WHEN action_roll < 0.95 THEN 'share' ELSE 'favorite' END AS action
      FROM picks p
    )
    INSERT INTO article_engagements (account_id, msg_data_id, article_index, wechat_user_id, follower_id, was_follower, action,
                                     source, share_scene, occurred_at)
    SELECT ${input.accountId}::bigint, s.msg_data_id, 1 + floor(random() * s.articles)::int, f.wechat_user_id, f.id, f.subscribed,
           s.action::engagement_action,
           CASE WHEN s.source_roll < 0.62 THEN 'session' WHEN s.source_roll < 0.74 THEN 'moments' WHEN s.source_roll < 0.84 THEN 'friends'
                WHEN s.source_roll < 0.92 THEN 'history' WHEN s.source_roll < 0.96 THEN 'kanyikan' ELSE 'other' END,
           CASE WHEN s.action = 'share' THEN (CASE WHEN s.scene_roll < 0.6 THEN 'friend' WHEN s.scene_roll < 0.95 THEN 'moments' ELSE 'other' END) END,
           s.created_at + random() * interval '3 days'
    FROM shaped s JOIN followers f ON f.id = s.follower_id`);
  return result.rowCount ?? 0;
}
