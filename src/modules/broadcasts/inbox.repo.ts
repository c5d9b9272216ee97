import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { BroadcastMessageType } from './broadcasts.repo.js';

/**
 * A follower's inbox, read without a follower-first index on deliveries: deliveries are keyed by (broadcast_id,
 * follower_id) so that a fan-out appends to the right edge of the key, and the inbox walks the account's broadcasts
 * newest first (broadcasts_account_idx) and probes that key once per broadcast. An account sends a few broadcasts
 * a day at most, so the walk is short; `scanLimit` bounds it per page all the same.
 */

export interface InboxDelivery {
  broadcastId: number;
  deliveredAt: Date;
}

export interface InboxWindow {
  /** Only broadcasts with a smaller id (the previous page's cursor); null for the first page. */
  beforeBroadcastId: number | null;
  /** At most this many of the account's broadcasts are looked at. */
  scanLimit: number;
}

const below = (window: InboxWindow) => (window.beforeBroadcastId === null ? sql`` : sql`AND id < ${window.beforeBroadcastId}`);

/**
 * Up to `limit` broadcasts of the window that reached the follower and are not deleted, newest first. The nested
 * loop stops probing once it has `limit` rows.
 */
export async function listInboxDeliveries(db: Executor, accountId: number, followerId: number, window: InboxWindow & { limit: number }): Promise<InboxDelivery[]> {
  const result = await db.execute<{ broadcastId: number; deliveredAt: string }>(sql`
    SELECT b.id AS "broadcastId", d.delivered_at AS "deliveredAt"
    FROM (
      SELECT id, deleted_at FROM broadcasts
      WHERE account_id = ${accountId} ${below(window)}
      ORDER BY id DESC LIMIT ${window.scanLimit}
    ) b
    JOIN deliveries d ON d.broadcast_id = b.id AND d.follower_id = ${followerId}
    WHERE b.deleted_at IS NULL
    ORDER BY b.id DESC LIMIT ${window.limit}`);
  return result.rows.map((row) => ({ broadcastId: row.broadcastId, deliveredAt: parseTimestamp(row.deliveredAt) }));
}

/**
 * The oldest broadcast id of a window that is full (`scanLimit` broadcasts), where the next page starts below;
 * undefined when the window reaches the account's first broadcast.
 */
export async function findWindowFloor(db: Executor, accountId: number, window: InboxWindow): Promise<number | undefined> {
  const result = await db.execute<{ id: number }>(sql`
    SELECT id FROM broadcasts WHERE account_id = ${accountId} ${below(window)}
    ORDER BY id DESC OFFSET ${window.scanLimit - 1} LIMIT 1`);
  return result.rows[0]?.id;
}

export type InboxBroadcastRow = {
  id: number;
  /** 64-bit, so read as text. */
  msgId: string;
  msgDataId: number | null;
  isPreview: boolean;
  messageType: BroadcastMessageType;
  body: Record<string, unknown>;
};

const inboxBroadcastColumns = sql`
  b.id, b.msg_id::text AS "msgId", b.msg_data_id AS "msgDataId", b.is_preview AS "isPreview", b.message_type AS "messageType", b.body`;

export async function findInboxBroadcasts(db: Executor, accountId: number, broadcastIds: number[]): Promise<Map<number, InboxBroadcastRow>> {
  if (broadcastIds.length === 0) return new Map();
  const result = await db.execute<InboxBroadcastRow>(sql`
    SELECT ${inboxBroadcastColumns} FROM broadcasts b
    WHERE b.account_id = ${accountId} AND b.id = ANY(${sql.param(broadcastIds)}::bigint[])`);
  return new Map(result.rows.map((row) => [row.id, row] as const));
}

/** One broadcast the follower received and that is not deleted, by its msg_id; undefined otherwise. */
export async function findDeliveredBroadcast(
  db: Executor,
  accountId: number,
  followerId: number,
  msgId: string,
): Promise<(InboxBroadcastRow & { deliveredAt: Date }) | undefined> {
  const result = await db.execute<InboxBroadcastRow & { deliveredAt: string }>(sql`
    SELECT ${inboxBroadcastColumns}, d.delivered_at AS "deliveredAt"
    FROM broadcasts b JOIN deliveries d ON d.broadcast_id = b.id AND d.follower_id = ${followerId}
    WHERE b.msg_id = ${msgId}::bigint AND b.account_id = ${accountId} AND b.deleted_at IS NULL`);
  const row = result.rows[0];
  return row && { ...row, deliveredAt: parseTimestamp(row.deliveredAt) };
}

export type InboxArticleSummaryRow = {
  idx: number;
  title: string;
  author: string;
  digest: string;
  contentSourceUrl: string;
  thumbUrl: string;
};
export type InboxArticleRow = InboxArticleSummaryRow & { content: string };

/**
 * The articles of the given broadcasts that are not deleted, by broadcast, in order. The inbox asks for summaries,
 * so the HTML bodies (up to 100 KB each) are not even read; a single message asks for them.
 */
export async function listLiveArticles(db: Executor, accountId: number, broadcastIds: number[], options: { withContent: true }): Promise<Map<number, InboxArticleRow[]>>;
export async function listLiveArticles(db: Executor, accountId: number, broadcastIds: number[], options: { withContent: false }): Promise<Map<number, InboxArticleSummaryRow[]>>;
export async function listLiveArticles(db: Executor, accountId: number, broadcastIds: number[], options: { withContent: boolean }): Promise<Map<number, InboxArticleSummaryRow[]>> {
  const byBroadcast = new Map<number, InboxArticleSummaryRow[]>();
  if (broadcastIds.length === 0) return byBroadcast;
  const result = await db.execute<InboxArticleSummaryRow & { broadcastId: number }>(sql`
    SELECT broadcast_id AS "broadcastId", idx, title, author, digest, content_source_url AS "contentSourceUrl", thumb_url AS "thumbUrl"
           ${options.withContent ? sql`, content` : sql``}
    FROM broadcast_articles
    WHERE account_id = ${accountId} AND broadcast_id = ANY(${sql.param(broadcastIds)}::bigint[]) AND deleted_at IS NULL
    ORDER BY broadcast_id, idx`);
  for (const { broadcastId, ...article } of result.rows) {
    const list = byBroadcast.get(broadcastId) ?? [];
    list.push(article);
    byBroadcast.set(broadcastId, list);
  }
  return byBroadcast;
}
