import { sql } from 'drizzle-orm';
import { parseTimestamp, type Executor } from '../../db/client.js';
import type { AccountType } from '../accounts/accounts.repo.js';

/**
 * The follower side's chat list: per account a user follows (or once followed), the newest message the account sent
 * them and how many arrived after their read marker (chat_reads). Computed when read, from the same sources as the
 * inbox, so nothing is written per delivery: a user has a handful of conversations, and each is read over its
 * account's newest `scanLimit` broadcasts (broadcasts_account_idx, probing the deliveries key as the inbox does) and
 * newest `scanLimit` other messages (webhook_replies_inbox_idx). Unread counts are therefore at most what those hold.
 */

/** The newest message of a conversation, as each source describes it. */
export type LastMessageRow =
  | { kind: 'broadcast'; type: 'news' | 'text' | 'image'; content: string | null; title: string | null; preview: boolean }
  | { kind: 'reply' | 'custom' | 'template'; message: Record<string, unknown> };

export interface ConversationRow {
  accountId: number;
  appid: string;
  name: string;
  type: AccountType;
  openid: string;
  following: boolean;
  readAt: Date | null;
  /** null when the account never sent the user anything (within the scan). */
  lastAt: Date | null;
  lastMessage: LastMessageRow | null;
  unread: number;
}

/**
 * Every conversation of the user (one per follower row), or the one with `appid`. The messages of each come from
 * one branch per source in `received` (at, source, ref); the newest one is described by the LEFT JOIN on its
 * source below. webhook_replies holds every kind of message the account writes to one follower (passive replies,
 * customer-service and template messages); a source kept elsewhere is one more branch there and one more join here.
 */
export async function listConversations(db: Executor, wechatUserId: number, options: { scanLimit: number; appid?: string }): Promise<ConversationRow[]> {
  const result = await db.execute<Omit<ConversationRow, 'readAt' | 'lastAt'> & { readAt: string | null; lastAt: string | null }>(sql`
    WITH conversations AS (
      SELECT f.id AS follower_id, f.account_id, f.openid, f.subscribed, a.appid, a.name, a.type, r.read_at
      FROM followers f
      JOIN accounts a ON a.id = f.account_id
      LEFT JOIN chat_reads r ON r.wechat_user_id = f.wechat_user_id AND r.account_id = f.account_id
      WHERE f.wechat_user_id = ${wechatUserId} ${options.appid === undefined ? sql`` : sql`AND a.appid = ${options.appid}`}
    ),
    received AS (
      -- Broadcasts and previews delivered to the follower, not deleted, news with an article left (as the inbox shows them).
      SELECT c.account_id, m.at, 'broadcast' AS source, m.ref
      FROM conversations c
      CROSS JOIN LATERAL (
        SELECT d.delivered_at AS at, b.id AS ref
        FROM (
          SELECT id, message_type, deleted_at FROM broadcasts
          WHERE account_id = c.account_id ORDER BY id DESC LIMIT ${options.scanLimit}
        ) b
        JOIN deliveries d ON d.broadcast_id = b.id AND d.follower_id = c.follower_id
        WHERE b.deleted_at IS NULL
          AND (b.message_type <> 'news' OR EXISTS (
            SELECT 1 FROM broadcast_articles ba WHERE ba.broadcast_id = b.id AND ba.deleted_at IS NULL))
      ) m
      UNION ALL
      -- Passive replies, customer-service messages, template messages.
      SELECT c.account_id, m.at, 'reply' AS source, m.ref
      FROM conversations c
      CROSS JOIN LATERAL (
        SELECT created_at AS at, id AS ref FROM webhook_replies
        WHERE account_id = c.account_id AND openid = c.openid
        ORDER BY id DESC LIMIT ${options.scanLimit}
      ) m
    ),
    latest AS (
      SELECT DISTINCT ON (account_id) account_id, at, source, ref FROM received ORDER BY account_id, at DESC, source, ref DESC
    ),
    counts AS (
      SELECT r.account_id, count(*) FILTER (WHERE c.read_at IS NULL OR r.at > c.read_at)::int AS unread
      FROM received r JOIN conversations c ON c.account_id = r.account_id
      GROUP BY r.account_id
    )
    SELECT c.account_id AS "accountId", c.appid, c.name, c.type, c.openid, c.subscribed AS following, c.read_at AS "readAt",
           l.at AS "lastAt", COALESCE(n.unread, 0) AS unread,
           COALESCE(
             CASE WHEN b.id IS NOT NULL THEN jsonb_build_object(
               'kind', 'broadcast', 'type', b.message_type, 'content', b.body->>'content', 'preview', b.is_preview,
               'title', (SELECT title FROM broadcast_articles WHERE broadcast_id = b.id AND deleted_at IS NULL ORDER BY idx LIMIT 1))
             END,
             CASE WHEN w.id IS NOT NULL THEN jsonb_build_object('kind', w.kind, 'message', w.message) END
           ) AS "lastMessage"
    FROM conversations c
    LEFT JOIN latest l ON l.account_id = c.account_id
    LEFT JOIN counts n ON n.account_id = c.account_id
    LEFT JOIN broadcasts b ON l.source = 'broadcast' AND b.id = l.ref
    LEFT JOIN webhook_replies w ON l.source = 'reply' AND w.id = l.ref`);
  return result.rows.map((row) => ({ ...row, readAt: parseTimestamp(row.readAt), lastAt: parseTimestamp(row.lastAt) }));
}

/**
 * Moves the user's read marker of the account's conversation to `at` (never back); the marker, or undefined when the
 * user never followed an account with this appid.
 */
export async function markConversationRead(db: Executor, wechatUserId: number, appid: string, at: Date): Promise<Date | undefined> {
  const result = await db.execute<{ readAt: string }>(sql`
    INSERT INTO chat_reads AS r (wechat_user_id, account_id, read_at)
    SELECT f.wechat_user_id, f.account_id, ${at.toISOString()}
    FROM followers f JOIN accounts a ON a.id = f.account_id
    WHERE a.appid = ${appid} AND f.wechat_user_id = ${wechatUserId}
    ON CONFLICT (wechat_user_id, account_id) DO UPDATE SET read_at = GREATEST(r.read_at, EXCLUDED.read_at)
    RETURNING read_at AS "readAt"`);
  const row = result.rows[0];
  return row && parseTimestamp(row.readAt);
}
