import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { seedAccount } from '../../src/db/seed/seed-account.js';
import { useTestContext } from '../helpers/context.js';

const ctx = useTestContext();
const db = () => ctx.deps.database.db;

describe('the seeder', () => {
  it('writes delivery history for the recent days, to the followers who were subscribed then, and the inbox shows it', async () => {
    ctx.clock.set('2026-06-15T04:00:00Z');
    const seeded = await seedAccount(ctx.deps, {
      followers: 300,
      days: 40,
      churnRate: 0.2,
      chunkSize: 100,
      concurrency: 2,
      messageSenderRate: 0,
      broadcastHistory: true,
      deliveryDays: 10,
    });

    const perBroadcast = await db().execute<{ id: number; recent: boolean; delivered: number; expected: number; sent: number; strays: number }>(sql`
      SELECT b.id, b.created_at >= timestamptz '2026-06-05T04:00:00Z' AS recent, b.sent_count AS sent,
             (SELECT count(*) FROM deliveries d WHERE d.broadcast_id = b.id)::int AS delivered,
             (SELECT count(*) FROM followers f WHERE f.account_id = b.account_id AND f.subscribed_at <= b.created_at
                AND (f.unsubscribed_at IS NULL OR f.unsubscribed_at > b.created_at))::int AS expected,
             (SELECT count(*) FROM deliveries d JOIN followers f ON f.id = d.follower_id
              WHERE d.broadcast_id = b.id AND NOT (f.subscribed_at <= b.created_at
                AND (f.unsubscribed_at IS NULL OR f.unsubscribed_at > b.created_at)))::int AS strays
      FROM broadcasts b WHERE b.account_id = ${seeded.accountId} ORDER BY b.id`);
    const recent = perBroadcast.rows.filter((row) => row.recent);
    expect(perBroadcast.rows).toHaveLength(40);
    expect(recent).toHaveLength(10);
    for (const row of recent) expect(row).toMatchObject({ delivered: row.expected, sent: row.expected, strays: 0 });
    for (const row of perBroadcast.rows.filter((r) => !r.recent)) expect(row.delivered).toBe(0);
    // Some who left during those days received the early ones only: the audience changes from day to day.
    expect(new Set(recent.map((row) => row.delivered)).size).toBeGreaterThan(1);
    expect(seeded.deliveries).toBe(recent.reduce((sum, row) => sum + row.delivered, 0));

    // A follower since before the window sees all ten days in the inbox, newest first.
    const longtime = await db().execute<{ wechatUserId: number }>(sql`
      SELECT wechat_user_id AS "wechatUserId" FROM followers
      WHERE account_id = ${seeded.accountId} AND subscribed AND subscribed_at < timestamptz '2026-06-05T04:00:00Z' LIMIT 1`);
    const inbox = await ctx.app.inject({
      method: 'GET',
      url: `/client/v1/inbox?appid=${seeded.appid}&limit=20`,
      headers: { authorization: `Bearer ${ctx.app.signClientToken(longtime.rows[0]!.wechatUserId)}` },
    });
    expect(inbox.statusCode, inbox.body).toBe(200);
    const items = inbox.json().items as Array<{ type: string; msgId: string; articles: unknown[] }>;
    expect(items).toHaveLength(10);
    expect(items.every((item) => item.type === 'news' && item.articles.length >= 1)).toBe(true);
    expect(items.map((item) => BigInt(item.msgId))).toEqual(items.map((item) => BigInt(item.msgId)).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });
});
