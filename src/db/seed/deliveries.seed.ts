import { sql } from 'drizzle-orm';
import type { Database } from '../client.js';

export interface DeliveryHistoryInput {
  accountId: number;
  /** Broadcasts created from this instant on get their delivery rows. */
  since: Date;
  /**
   * 'subscribed-then' (the seeder): the followers who had followed and not yet left when the broadcast went out.
   * 'current' (bench:fanout): every follower eligible today, so N days of history are exactly N × followers rows.
   */
  audience: 'subscribed-then' | 'current';
  /** Broadcasts written at once, each on its own connection. */
  concurrency: number;
}

/**
 * Delivery rows for the account's sent broadcasts since `since`, one set-based INSERT … SELECT per broadcast, in
 * (broadcast_id, follower_id) order: each statement appends to the right edge of the primary key, as a real fan-out
 * does. The broadcasts' counters are then set to the rows written, so statistics and the inbox agree.
 */
export async function seedDeliveryHistory(db: Database, input: DeliveryHistoryInput, progress: (done: number, total: number) => void = () => {}): Promise<number> {
  const sent = await db.execute<{ id: number }>(sql`
    SELECT id FROM broadcasts
    WHERE account_id = ${input.accountId}::bigint AND status = 'SEND_SUCCESS' AND NOT is_preview AND target = 'all'
      AND created_at >= ${input.since.toISOString()}::timestamptz
    ORDER BY id`);
  const pending = sent.rows.map((row) => row.id);
  const total = pending.length;
  let done = 0;
  let rows = 0;
  const audience =
    input.audience === 'current'
      ? sql`f.subscribed AND NOT f.blacklisted`
      : // Seeded followers follow once, so subscribed_at is when they followed and unsubscribed_at when they left.
        sql`f.subscribed_at <= b.created_at AND (f.unsubscribed_at IS NULL OR f.unsubscribed_at > b.created_at)`;

  const writer = async () => {
    for (let broadcastId = pending.shift(); broadcastId !== undefined; broadcastId = pending.shift()) {
      const written = await db.transaction(async (tx) => {
        // Seed data may lose its last broadcast on a crash; waiting for a disk flush per statement buys nothing here.
        await tx.execute(sql`SET LOCAL synchronous_commit = off`);
        const inserted = await tx.execute(sql`
          INSERT INTO deliveries (broadcast_id, follower_id, delivered_at)
          SELECT b.id, f.id, b.started_at + (b.finished_at - b.started_at) * random()
          FROM broadcasts b JOIN followers f ON f.account_id = b.account_id
          WHERE b.id = ${broadcastId}::bigint AND ${audience}
          ORDER BY f.id
          ON CONFLICT DO NOTHING`);
        await tx.execute(sql`
          UPDATE broadcasts SET sent_count = (SELECT count(*) FROM deliveries WHERE broadcast_id = ${broadcastId}::bigint)::int,
                                total_count = (SELECT count(*) FROM deliveries WHERE broadcast_id = ${broadcastId}::bigint)::int
          WHERE id = ${broadcastId}::bigint`);
        return inserted.rowCount ?? 0;
      });
      // Added after the await: `rows += await …` would read `rows` before the other writer's update.
      rows += written;
      done += 1;
      progress(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, writer));
  return rows;
}
